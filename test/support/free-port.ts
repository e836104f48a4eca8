/** A free TCP port, for a test that must put a port into a config before anything listens on it. */
import { type AddressInfo, createServer } from "node:net";

/** A TCP port free on 127.0.0.1 just now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
