import type { Command } from "./io.ts";

/** Placeholder until the command lands. */
export const runCommand: Command = async (_argv, io) => {
  io.stderr("profile-relay run: not implemented yet\n");
  return 2;
};
