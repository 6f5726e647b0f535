"""kubelab: learn Kubernetes with a whole simulated cluster in your notebook.

>>> import kubelab as kl
>>> c = kl.Cluster(nodes=3, seed=0)
>>> _ = c.apply("data/replicaset.yaml")  # doctest: +SKIP
"""

from kubelab.errors import AlreadyExists, Conflict, Invalid, KubelabError, NotFound

__all__ = [
    "AlreadyExists",
    "Cluster",
    "Conflict",
    "Invalid",
    "KubelabError",
    "NotFound",
    "images",
    "viz",
]
__version__ = "0.1.0"


def __getattr__(name):
    # Cluster pulls in every component; viz pulls in matplotlib: load them on first use.
    if name == "Cluster":
        from kubelab.cluster import Cluster

        return Cluster
    if name in ("viz", "images", "magic", "ingress"):
        import importlib

        return importlib.import_module(f"kubelab.{name}")
    raise AttributeError(f"module 'kubelab' has no attribute {name!r}")


def load_ipython_extension(ipython):
    """``%load_ext kubelab``: the ``%kubectl`` magic on the notebook's current cluster."""
    from kubelab.magic import load_ipython_extension as load

    load(ipython)
