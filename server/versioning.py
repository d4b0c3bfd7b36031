"""Every response names the dataset version it was answered from, in ``ILRS-Dataset-Version``.

:class:`~.edge.Edge` reads the current dataset once, when a request arrives, and pins it on the request
(``request.state.dataset``, which :func:`~ilrs.server.deps.get_dataset` returns): whatever swaps the
dataset meanwhile (``--watch``, a new snapshot), the whole answer and its header come from one version.
Replicas serving the same snapshot send the same version (and the same ETags), so a client or a
proxy can tell which version each answer came from behind a load balancer.
"""

from __future__ import annotations

VERSION_HEADER = "ILRS-Dataset-Version"
