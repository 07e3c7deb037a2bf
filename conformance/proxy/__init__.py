"""The validating proxy: forwards traffic to an upstream unchanged, adds no request of its own,
and judges every Run Deployment Now exchange (and read-back and listing) with the oracle.

    with proxy_in_thread("http://127.0.0.1:8000") as proxy:   # a free port on 127.0.0.1
        client = Anthropic(base_url=proxy.base_url, ...)
        ...
    proxy.results()   # TargetResults: the upstream's, and each client's (by User-Agent)
"""

from ._forward import ForwardingApp, Seen
from ._judge import Judge
from ._run import JUDGE_CAP, RunningProxy, check_upstream, cmd_proxy, proxy_in_thread

__all__ = [
    "JUDGE_CAP",
    "ForwardingApp",
    "Judge",
    "RunningProxy",
    "Seen",
    "check_upstream",
    "cmd_proxy",
    "proxy_in_thread",
]
