"""The validating proxy: forwards traffic to an upstream unchanged, adds no request of its own,
and judges every Run Deployment Now exchange (and read-back and listing) with the oracle.

    with proxy_in_thread("http://127.0.0.1:8000") as proxy:   # a free port on 127.0.0.1
        client = Anthropic(base_url=proxy.base_url, ...)
        ...
    proxy.results()   # TargetResults: the upstream's, and each client's (by User-Agent)

Bounded in time (`Limits`: connect and read timeouts, a connection pool) and in memory
(`Bounds`), judging off the forwarding path, scrubbing every credential it sees.
"""

from ._account import OTHER_CLIENTS
from ._bounds import Bounds
from ._forward import ForwardingApp, Limits, Lost, Seen
from ._judge import Judge
from ._run import JUDGE_CAP, RunningProxy, check_upstream, proxy_config, proxy_in_thread

__all__ = [
    "JUDGE_CAP",
    "OTHER_CLIENTS",
    "Bounds",
    "ForwardingApp",
    "Judge",
    "Limits",
    "Lost",
    "RunningProxy",
    "Seen",
    "check_upstream",
    "proxy_config",
    "proxy_in_thread",
]
