/** What a client call threw: bun's `expect().rejects` does not see an SDK's APIPromise reject. A call that succeeds fails the test. */
export async function failure(call: PromiseLike<unknown>): Promise<any> {
  try {
    await call;
  } catch (err) {
    return err;
  }
  throw new Error("the call succeeded");
}
