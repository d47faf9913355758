/** Child process for the missing-capability test: opens a packet socket on lo and prints the outcome. */
import { PacketSocket, isNativeError } from "../../native/index";
import { ETH_P_ARP } from "../../native/bpf";

try {
  PacketSocket.open("lo", ETH_P_ARP).close();
  console.log(JSON.stringify({ opened: true }));
} catch (error) {
  console.log(JSON.stringify(isNativeError(error) ? { code: error.code, message: error.message } : { other: String(error) }));
}
