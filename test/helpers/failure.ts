/**
 * What a call threw (bun's `expect().rejects` does not see an SDK's APIPromise reject); the
 * test fails if it did not.
 */
export async function failure(call: PromiseLike<unknown>): Promise<any> {
  try {
    await call;
  } catch (err) {
    return err;
  }
  throw new Error("the call did not fail");
}
