/**
 * The memory benches' writes (hack/bench/memory.ts, hack/bench/controller-memory.ts): thousands of
 * POSTs to the local API server, 16 at a time, on a loaded machine.
 */
import type { ApiRequest } from "../../kube/api-request";
import { ApiError } from "../../kube/controller-port";

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms));

/**
 * A POST through `api` that is sent again (up to 5 times, 200 ms more apart each time) after a
 * transport error or a 5xx (a reset keep-alive connection); a 409 on a later attempt then means an
 * earlier one created the object. Any other 4xx is thrown at once.
 */
export function postRetrying(api: ApiRequest): (path: string, body: object) => Promise<void> {
  return async (path, body) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await api("POST", path, "application/json", body);
        return;
      } catch (e) {
        const status = e instanceof ApiError ? e.status : 0;
        if (status === 409 && attempt > 1) return;
        if ((status !== 0 && status < 500) || attempt >= 5) throw e;
        await sleep(200 * attempt);
      }
    }
  };
}
