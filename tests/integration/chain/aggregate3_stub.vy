# pragma version 0.4.3
# A minimal contract with Multicall3's aggregate3((address,bool,bytes)[]) ABI, written for the
# chain tests (Multicall3 itself is not deployed on a bare Anvil, and we vendor no bytecode).

struct Call3:
    target: address
    allowFailure: bool
    callData: Bytes[64]

struct Result:
    success: bool
    returnData: Bytes[96]


@external
@view
def aggregate3(calls: DynArray[Call3, 600]) -> DynArray[Result, 600]:
    results: DynArray[Result, 600] = []
    for c: Call3 in calls:
        ok: bool = False
        data: Bytes[96] = b""
        ok, data = raw_call(c.target, c.callData, max_outsize=96, is_static_call=True, revert_on_failure=False)
        assert ok or c.allowFailure, "aggregate3: call failed"
        results.append(Result(success=ok, returnData=data))
    return results
