import type { Command } from "./io.ts";

/** Placeholder until the command lands. */
export const validateCommand: Command = async (_argv, io) => {
  io.stderr("profile-relay validate: not implemented yet\n");
  return 2;
};
