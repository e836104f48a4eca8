import type { Command } from "./io.ts";

/** Placeholder until the command lands. */
export const fmtCommand: Command = async (_argv, io) => {
  io.stderr("profile-relay fmt: not implemented yet\n");
  return 2;
};
