"""Atomic execution: the Vyper executor, the transaction pipeline, paper mode, accounting, keys.

>>> await nursery.start(run_execution, cfg, rpc, orders_recv, results_send, latch=latch, write_ahead=wa)
"""

from appliance.execution.accounting import Fill, GasToBase, fill_from_receipt, fill_from_simulation
from appliance.execution.artifact import ExecutorArtifact, load_artifact
from appliance.execution.calldata import encode_execute, encode_withdraw, hops_of
from appliance.execution.deploy import deploy_executor
from appliance.execution.errors import (
    ArtifactError,
    ExecutionError,
    ExecutorIncompatible,
    ExecutorMissing,
    KeyFileError,
    SimulationFailed,
)
from appliance.execution.keys import SignedTx, Signer, load_signer
from appliance.execution.nonce import NonceManager
from appliance.execution.pipeline import Head, InFlight, Pipeline, WriteAheadFn
from appliance.execution.profit import ProfitRule
from appliance.execution.recovery import recover
from appliance.execution.rpc import Refusal, SendOutcome, as_pool, classify_send_error
from appliance.execution.service import run_execution
from appliance.execution.tracker import track

__all__ = [
    "ArtifactError",
    "ExecutionError",
    "ExecutorArtifact",
    "ExecutorIncompatible",
    "ExecutorMissing",
    "Fill",
    "GasToBase",
    "Head",
    "InFlight",
    "KeyFileError",
    "NonceManager",
    "Pipeline",
    "ProfitRule",
    "Refusal",
    "SendOutcome",
    "SignedTx",
    "Signer",
    "SimulationFailed",
    "WriteAheadFn",
    "as_pool",
    "classify_send_error",
    "deploy_executor",
    "encode_execute",
    "encode_withdraw",
    "fill_from_receipt",
    "fill_from_simulation",
    "hops_of",
    "load_artifact",
    "load_signer",
    "recover",
    "run_execution",
    "track",
]
