"""kube-apiserver: every read and write of cluster state goes through here.

A request runs the real pipeline: resolve the kind, check the namespace, (for
learners' input) check the structure against the official schemas, fill API
defaults, run admission, validate, then write to the store, which notifies
watchers. Every write is recorded in :attr:`APIServer.audit` with the component
that made it, so a lesson can show who told whom what.
"""

from __future__ import annotations

import copy
import uuid
from contextlib import contextmanager

from kubelab.api import kinds
from kubelab.api.meta import timestamp
from kubelab.apiserver import admission, crds
from kubelab.apiserver.applying import three_way_patch
from kubelab.apiserver.events import EVENT_TTL, EventRecorder
from kubelab.apiserver.patch import json_patch, merge_patch, strategic_merge
from kubelab.apiserver.store import Store
from kubelab.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    InvalidSelector,
    NoKindMatch,
    NotFound,
    StorageFull,
    UnknownResource,
)
from kubelab.sim import RETENTION, Clock, RingLog, rng

__all__ = ["AUDIT_MAX_ROWS", "APIServer", "Client"]

AUDIT_MAX_ROWS = 200_000  # requests kept in APIServer.audit at most (the last hour otherwise)

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_NO_STATUS_SUBRESOURCE = {
    "ConfigMap",
    "Secret",
    "Event",
    "Lease",
    "Endpoints",
    "EndpointSlice",
    "ControllerRevision",
    "StorageClass",
    "IngressClass",
    "LimitRange",
}
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
# Above Kubernetes' own scalability limits (150,000 pods, 300,000 containers), below what
# would exhaust a notebook's memory for ever: a runaway ReplicaSet stops here.
MAX_OBJECTS = 250_000


def _pipeline():
    # Imported lazily: these modules are large and the API server is their only caller.
    from kubelab.api import defaults, schema, validation

    return defaults, validation.validate, validation.validate_update, schema


class APIServer:
    """The API server in front of the store.

    Parameters
    ----------
    clock : Clock
        The cluster's clock (timestamps, deletion deadlines).
    seed : int
        Seeds generated names and UIDs.
    max_objects : int
        The most objects the store holds, Events not counted (they are best-effort and
        expire); a create past it raises :class:`~kubelab.errors.StorageFull`.
    event_ttl : float or None
        Seconds an Event lives after its last write (``--event-ttl``; ``None``: for ever).
    keep_history : bool
        Keep every audit row and event occurrence (otherwise the last hour, bounded).
    """

    def __init__(
        self,
        clock: Clock,
        *,
        seed: int = 0,
        max_objects: int = MAX_OBJECTS,
        event_ttl: float | None = EVENT_TTL,
        keep_history: bool = False,
    ):
        self.clock = clock
        self.store = Store(clock)
        self.max_objects = max_objects
        self._rng = rng(seed, "kube-apiserver")
        # (time, user, verb, kind, namespace, name, code): the last hour, AUDIT_MAX_ROWS at most
        self.audit = RingLog(clock, RETENTION, AUDIT_MAX_ROWS)
        if keep_history:
            self.audit.keep_all()
        self._staged_audit: list[tuple] | None = None  # requests of the open transaction
        self.events = EventRecorder(self, ttl=event_ttl, keep_all=keep_history)
        # Admission plugins (LimitRanger, ResourceQuota, Service IP allocation ...), in order.
        self.admission: list[admission.AdmissionPlugin] = []
        self.namespace_checks = True
        # The kinds served: built-ins plus what this server's CRDs add (never shared).
        self.kinds = kinds.Registry()
        crds.watch(self)

    def client(self, user: str, *, qps: float | None = None, burst: int = 1) -> Client:
        """A client that identifies itself as ``user`` (a component name, or ``kubectl``);
        with ``qps``, its writes are rate limited (client-go's ``QPS``/``Burst``)."""
        return Client(self, user, qps=qps, burst=burst)

    # -- helpers ---------------------------------------------------------------------------
    def resource(self, kind: str) -> kinds.ResourceType:
        rt = self.kinds.lookup(kind) if isinstance(kind, str) else None
        if rt is None:
            raise UnknownResource(kind)
        return rt

    def _key(self, kind, name, namespace) -> tuple[kinds.ResourceType, str]:
        """The resource type and namespace of a get/delete; a name that is no string finds nothing."""
        rt = self.resource(kind)
        if rt.namespaced and namespace is not None and not isinstance(namespace, str):
            raise NotFound("namespaces", str(namespace))
        if not isinstance(name, str):
            raise NotFound(rt.qualified, str(name))
        return rt, (namespace or "default") if rt.namespaced else ""

    def _record(self, user, verb, kind, namespace, name, code=200):
        entry = (self.clock.now, user, verb, kind, namespace or "", name or "", code)
        (self.audit if self._staged_audit is None else self._staged_audit).append(entry)

    @contextmanager
    def transaction(self, *, commit: bool = True):
        """Every write inside happens together, or not at all.

        Writes are staged in the store: later requests (their admission and validation, the
        Service IP and node-port allocators, quota usage) see them, watchers and the audit log
        only at commit. An exception (or ``commit=False``: a dry run that sees its own writes)
        undoes them, leaving the store revision, allocators, audit log, generated names and
        informers exactly as before. Transactions nest (an inner one is a savepoint).

        Examples
        --------
        >>> from kubelab.sim import Clock
        >>> api = APIServer(Clock()); api.namespace_checks = False
        >>> cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}
        >>> with api.transaction(commit=False):
        ...     _ = api.create(cm, user="kubectl")
        ...     api.store.count("ConfigMap")
        1
        >>> api.store.count("ConfigMap"), api.store.revision, len(api.audit)
        (0, 0, 0)
        """
        outermost = not self.store.in_transaction
        savepoint = self.store.begin()
        if outermost:
            self._staged_audit = []
        mark = self._rng.getstate(), len(self._staged_audit)
        try:
            yield self
        except BaseException:
            self._rollback(savepoint, mark, outermost)
            raise
        if not commit:
            self._rollback(savepoint, mark, outermost)
            return
        if outermost:
            staged, self._staged_audit = self._staged_audit, None
            for entry in staged:
                self.audit.append(entry)
        self.store.commit()

    def _rollback(self, savepoint, mark, outermost: bool) -> None:
        self.store.rollback(savepoint)
        rng_state, audit_len = mark
        self._rng.setstate(rng_state)
        del self._staged_audit[audit_len:]
        if outermost:
            self._staged_audit = None

    def new_uid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def generate_name(self, prefix: str) -> str:
        suffix = "".join(self._rng.choice(_NAME_ALPHABET) for _ in range(5))
        return prefix[:58] + suffix

    def _namespace_of(self, rt, obj) -> str:
        if not rt.namespaced:
            return ""
        return obj.get("metadata", {}).get("namespace") or "default"

    def _check_namespace(self, rt, ns):
        if not rt.namespaced or not self.namespace_checks:
            return
        namespace = self.store.get("Namespace", "", ns)
        if namespace is None:
            raise NotFound("namespaces", ns)
        if namespace["metadata"].get("deletionTimestamp"):
            raise Forbidden(
                f"unable to create new content in namespace {ns} because it is being terminated"
            )

    def resource_for_object(self, obj: dict) -> kinds.ResourceType:
        """The served type of ``obj`` by kind and apiVersion, as kubectl's REST mapping finds it.

        Raises :class:`~kubelab.errors.NoKindMatch` for versions no API server serves by
        default and custom kinds without a CRD, and ``BadRequest`` for kinds real Kubernetes
        serves but kubelab does not.
        """
        rt = self.kinds.for_object(obj)
        version = obj.get("apiVersion")
        if rt is not None and (version == rt.api_version or version in rt.also_versions):
            return rt
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        if rt is None and _served_upstream(obj.get("kind"), version):
            raise BadRequest(_unsupported(obj, self.kinds))
        raise NoKindMatch(
            str(meta.get("name") or ""), str(meta.get("namespace") or ""), obj.get("kind"), version
        )

    def _raise_for_schema(self, rt, obj: dict) -> None:
        """Strict decoding: the official schemas, or a custom kind's ``openAPIV3Schema``."""
        if rt.custom:
            crds.raise_for_schema(self, rt, obj)
        else:
            _pipeline()[3].raise_for_schema(obj)

    def _has_status_subresource(self, rt, obj: dict) -> bool:
        """Whether writes to the main resource leave ``status`` alone (a CRD may not say so)."""
        if rt.custom:
            return crds.has_status_subresource(self, rt, obj.get("apiVersion", ""))
        return rt.kind not in _NO_STATUS_SUBRESOURCE

    def _to_stored(self, rt, obj: dict) -> dict:
        """``obj`` in its storage version; unknown fields of a custom resource pruned."""
        if rt.custom:
            return crds.prune(self, rt, obj)
        from kubelab.api.conversion import to_storage_version

        return to_storage_version(obj)

    def _admit(self, phase: str, obj: dict, old: dict | None, dry_run: bool) -> None:
        """Run the admission plugins' ``mutate`` (before validation) or ``validate`` (after)."""
        kind = obj["kind"]
        for plugin in self.admission:
            if kind in plugin.kinds:
                getattr(plugin, phase)(self, obj, old, dry_run=dry_run)

    # -- verbs -----------------------------------------------------------------------------
    def create(
        self,
        obj: dict,
        *,
        user: str,
        dry_run: bool = False,
        strict: bool = False,
    ) -> dict:
        """Create an object. ``strict``: check the structure (learners' input, not components')."""
        defaults, validate, _, _ = _pipeline()
        kind = obj.get("kind")
        rt = self.resource_for_object(obj)
        if strict:
            self._raise_for_schema(rt, obj)
            obj = _pipeline()[3].decode_nulls(obj)
        if obj.get("metadata") is None:  # `metadata:` null decodes to an empty ObjectMeta
            obj = {**obj, "metadata": {}}
        obj = self._to_stored(rt, defaults.apply_defaults(obj))
        if kind == "Secret":
            _merge_string_data(obj)
        if kind == "Namespace":
            obj = defaults.prepare_for_create(obj)
        meta = obj.setdefault("metadata", {})
        ns = self._namespace_of(rt, obj)
        if rt.namespaced:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = self.generate_name(meta["generateName"])
        self._check_namespace(rt, ns)
        uid = None
        if kind == "Job":  # the Job strategy's selector names the uid, so it comes first
            uid = meta["uid"] = self.new_uid()
            defaults.prepare_job_for_create(obj, uid)
        if kind == "Pod":
            admission.default_toleration_seconds(obj)
        self._admit("mutate", obj, None, dry_run)
        errors = crds.validate(self, rt, obj) if rt.custom else validate(obj)
        if errors:
            raise Invalid(kind, meta.get("name", ""), errors)
        if self.store.get(kind, ns, meta["name"]) is not None:
            raise AlreadyExists(rt.qualified, meta["name"])
        if self.store.size - self.store.count("Event") >= self.max_objects:
            raise StorageFull(self.max_objects)
        self._admit("validate", obj, None, dry_run)
        if dry_run:
            return obj
        meta["uid"] = uid or self.new_uid()
        meta["creationTimestamp"] = timestamp(self.clock.now)
        for key in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(key, None)
        if "spec" in obj:
            meta["generation"] = 1
        if kind == "Pod":
            admission.init_pod_status(obj)
        if kind == "CustomResourceDefinition":
            crds.establish(self, obj)
        elif rt.custom:
            crds.prepare_for_create(self, rt, obj)
        stored = self.store.put(obj)
        self._record(user, "create", kind, ns, meta["name"], 201)
        return stored

    def get(
        self, kind: str, name: str, namespace: str = "default", *, user: str | None = None
    ) -> dict:
        rt, ns = self._key(kind, name, namespace)
        obj = self.store.get(rt.kind, ns, name)
        if user is not None:
            self._record(user, "get", rt.kind, ns, name, 200 if obj else 404)
        if obj is None:
            raise NotFound(rt.qualified, name)
        return obj

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        selector=None,
        field_selector=None,
        *,
        user: str | None = None,
    ) -> list[dict]:
        """Objects of a kind; ``selector``/``field_selector`` are strings or parsed selectors.

        A selector the server cannot parse raises :class:`~kubelab.errors.InvalidSelector`
        (HTTP 400) with ``labels.Parse``'s or the field label conversion's message.
        """
        rt = self.resource(kind)
        if rt.namespaced and namespace is not None and not isinstance(namespace, str):
            raise NotFound("namespaces", str(namespace))
        ns = namespace if rt.namespaced else None
        sel, fsel = _selectors(rt, selector, field_selector)
        objs = self.store.list(rt.kind, ns)
        if sel is not None:
            objs = (o for o in objs if sel.matches(o["metadata"].get("labels")))
        if fsel is not None:
            objs = (o for o in objs if fsel.matches(o))
        result = list(objs)
        if user is not None:
            self._record(user, "list", rt.kind, ns, "", 200)
        return result

    def update(
        self,
        obj: dict,
        *,
        user: str,
        subresource: str | None = None,
        dry_run: bool = False,
        strict: bool = False,
    ) -> dict:
        """Replace an object (``subresource="status"`` replaces only its status)."""
        defaults, _, validate_update, _ = _pipeline()
        rt = self.resource_for_object(obj)
        meta = obj.get("metadata") or {}
        ns = self._namespace_of(rt, obj)
        name = meta.get("name", "")
        old = self.store.get(rt.kind, ns, name)
        if old is None:
            raise NotFound(rt.qualified, name)
        rv = meta.get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            self._record(user, "update", rt.kind, ns, name, 409)
            raise Conflict(rt.qualified, name)
        if subresource == "status":
            new = dict(old)
            new["status"] = obj.get("status")
            new["metadata"] = dict(old["metadata"])
        else:
            if strict:
                self._raise_for_schema(rt, obj)
                obj = _pipeline()[3].decode_nulls(obj)
            new = self._to_stored(rt, defaults.apply_defaults(obj))
            if rt.kind == "Secret":
                _merge_string_data(new)
            new_meta = new.setdefault("metadata", {})
            for key in (
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
            ):
                if key in old["metadata"]:
                    new_meta[key] = old["metadata"][key]
                else:
                    new_meta.pop(key, None)
            if rt.namespaced:
                new_meta["namespace"] = ns
            if self._has_status_subresource(rt, obj) and "status" in old:
                new["status"] = old["status"]
            if rt.kind == "Pod":
                admission.default_toleration_seconds(new)
            self._admit("mutate", new, old, dry_run)
            # validate_update includes validate(new), as upstream
            errors = crds.validate(self, rt, new) if rt.custom else validate_update(new, old)
            if errors:
                raise Invalid(rt.kind, name, errors)
            self._admit("validate", new, old, dry_run)
            if "spec" in new and new.get("spec") != old.get("spec"):
                new_meta["generation"] = old["metadata"].get("generation", 0) + 1
            if rt.kind == "CustomResourceDefinition" and not dry_run:
                crds.establish(self, new)
        if dry_run:
            return new
        return self._write(new, user, "update" if subresource is None else "update/status")

    def _write(self, new: dict, user: str, verb: str) -> dict:
        meta = new["metadata"]
        kind, ns, name = new["kind"], meta.get("namespace", ""), meta["name"]
        if (
            meta.get("deletionTimestamp")
            and not meta.get("finalizers")
            and (
                kind != "Pod"
                or meta.get("deletionGracePeriodSeconds") == 0
                or not new["spec"].get("nodeName")
            )
        ):
            self.store.remove(kind, ns, name)
            self._record(user, verb, kind, ns, name)
            return new
        old = self.store.get(kind, ns, name)
        if old is not None and _unchanged(new, old):
            # etcd3's GuaranteedUpdate: identical bytes are not written (no new resourceVersion,
            # no watch event), so a controller that rewrites the same status does not wake itself.
            self._record(user, verb, kind, ns, name)
            return old
        stored = self.store.put(new)
        self._record(user, verb, kind, ns, name)
        return stored

    def patch(
        self,
        kind: str,
        name: str,
        namespace: str,
        patch,
        patch_type: str = "strategic",
        *,
        user: str,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> dict:
        """Patch an object: ``merge`` (RFC 7386), ``strategic`` or ``json`` (RFC 6902)."""
        live = self.get(kind, name, namespace)
        if patch_type == "merge":
            new = merge_patch(live, patch)
        elif patch_type == "strategic":
            new = strategic_merge(copy.deepcopy(live), patch)
        elif patch_type == "json":
            new = json_patch(live, patch)
        else:
            raise BadRequest(f"unsupported patch type {patch_type!r}")
        new.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
        if subresource == "scale":
            return self.update(new, user=user, dry_run=dry_run)
        return self.update(new, user=user, subresource=subresource, dry_run=dry_run)

    def apply(self, obj: dict, *, user: str = "kubectl", dry_run: bool = False) -> tuple[dict, str]:
        """``kubectl apply``: create, or three-way merge with the last applied manifest.

        Returns the stored object and ``"created"``, ``"configured"`` or ``"unchanged"``.
        """
        rt = self.resource_for_object(obj)
        self._raise_for_schema(rt, obj)
        manifest = copy.deepcopy(obj)
        meta = manifest["metadata"] = manifest.get("metadata") or {}  # `metadata:` null too
        annotations = dict(meta.get("annotations") or {})
        annotations.pop(LAST_APPLIED, None)
        meta["annotations"] = annotations
        import json

        applied = json.dumps(manifest, separators=(",", ":"), sort_keys=True) + "\n"
        annotations[LAST_APPLIED] = applied
        ns = self._namespace_of(rt, manifest)
        live = self.store.get(rt.kind, ns, meta.get("name", "")) if meta.get("name") else None
        if live is None:
            stored = self.create(manifest, user=user, dry_run=dry_run, strict=True)
            return stored, "created"
        last_text = (live["metadata"].get("annotations") or {}).get(LAST_APPLIED)
        try:  # the annotation is anyone's to write: kubectl refuses what it cannot read
            last = (json.loads(last_text) if last_text else None) or {}
            if not isinstance(last, dict):
                raise ValueError(f"cannot unmarshal {type(last).__name__} into an object")
            # the patch is computed in the stored version (an autoscaling/v1 HPA becomes v2)
            last, target = self._to_stored(rt, last), self._to_stored(rt, manifest)
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            raise Invalid(
                message=f"error: creating patch with:\noriginal:\n{last_text}\nmodified:\n"
                f"{applied}for: {rt.qualified}/{meta.get('name')}: {error}"
            ) from None
        merged = strategic_merge(copy.deepcopy(live), three_way_patch(last, target))
        merged["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
        candidate = self.update(merged, user=user, dry_run=True)
        if _same(candidate, live):
            return live, "unchanged"
        if dry_run:
            return candidate, "configured"
        return self.update(merged, user=user), "configured"

    def delete(
        self,
        kind: str,
        name: str,
        namespace: str = "default",
        *,
        user: str,
        propagation: str | None = None,
        grace_period: int | None = None,
        dry_run: bool = False,
    ) -> dict | None:
        """Delete with Kubernetes' semantics: graceful pods, finalizers, cascading policy.

        Returns the object as it is now (with ``deletionTimestamp``) or ``None`` once gone.
        """
        rt, ns = self._key(kind, name, namespace)
        obj = self.store.get(rt.kind, ns, name)
        if obj is None:
            self._record(user, "delete", rt.kind, ns, name, 404)
            raise NotFound(rt.qualified, name)
        if propagation not in (None, "Background", "Foreground", "Orphan"):
            raise BadRequest(f"unsupported propagation policy {propagation!r}")
        if dry_run:
            return obj
        if rt.kind == "CustomResourceDefinition":
            crds.remove_instances(self, obj, user=user)
        meta = dict(obj["metadata"])
        finalizers = list(meta.get("finalizers") or [])
        if propagation == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        elif propagation == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        graceful = False
        if rt.kind == "Pod":
            node = obj["spec"].get("nodeName")
            if grace_period is None:
                grace_period = obj["spec"].get("terminationGracePeriodSeconds", 30)
            phase = (obj.get("status") or {}).get("phase")
            graceful = (
                bool(node)
                and grace_period > 0
                and phase not in ("Succeeded", "Failed")
                and self.store.get("Node", "", node) is not None
            )
        if meta.get("deletionTimestamp"):
            # Already terminating: only a shorter grace period (e.g. --force) changes anything.
            if (
                rt.kind == "Pod"
                and grace_period is not None
                and grace_period < meta.get("deletionGracePeriodSeconds", 0)
            ):
                graceful = grace_period > 0
            elif finalizers == list(meta.get("finalizers") or []):
                return obj
        if (
            not finalizers
            and not graceful
            and (rt.kind != "Namespace" or not _spec_finalizers(obj))
        ):
            self.store.remove(rt.kind, ns, name)
            self._record(user, "delete", rt.kind, ns, name)
            return None
        meta["finalizers"] = finalizers
        if not meta.get("deletionTimestamp") or rt.kind == "Pod":
            meta["deletionTimestamp"] = timestamp(
                self.clock.now + (grace_period or 0 if graceful else 0)
            )
        meta["deletionGracePeriodSeconds"] = grace_period if graceful else 0
        if not finalizers:
            meta.pop("finalizers")
        new = dict(obj)
        new["metadata"] = meta
        if rt.kind == "Namespace":
            new["status"] = {"phase": "Terminating"}
        stored = self.store.put(new)
        self._record(user, "delete", rt.kind, ns, name)
        return stored

    def bind(self, pod: dict, node_name: str, *, user: str) -> dict:
        """The ``pods/binding`` subresource: the scheduler's only write to a pod."""
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        live = self.store.get("Pod", ns, name)
        if live is None:
            raise NotFound("pods", name)
        if live["spec"].get("nodeName"):
            raise Conflict(
                "pods/binding",
                name,
                f'Operation cannot be fulfilled on pods/binding "{name}": pod {name} is already '
                f'assigned to node "{live["spec"]["nodeName"]}"',
            )
        if live["metadata"].get("deletionTimestamp"):
            raise Conflict(
                "pods/binding", name, f"pod {name} is being deleted, cannot be assigned to a host"
            )
        new = dict(live)
        new["spec"] = dict(live["spec"], nodeName=node_name)
        status = dict(live.get("status") or {})
        from kubelab.api.meta import set_condition

        status["conditions"] = set_condition(
            status.get("conditions"), {"type": "PodScheduled", "status": "True"}, self.clock.now
        )
        new["status"] = status
        new["metadata"] = dict(live["metadata"])
        return self._write(new, user, "create/binding")


def _unchanged(new: dict, old: dict) -> bool:
    # status first: most writes change it, so the (larger) spec is rarely compared
    if new.keys() != old.keys() or new.get("status") != old.get("status"):
        return False
    if any(new[k] != old[k] for k in new if k not in ("metadata", "status")):
        return False
    meta, old_meta = dict(new["metadata"]), dict(old["metadata"])
    meta.pop("resourceVersion", None)
    old_meta.pop("resourceVersion", None)
    return meta == old_meta


def _merge_string_data(secret: dict) -> None:
    """``stringData`` is write-only: the API server base64-encodes it into ``data``."""
    import base64

    string_data = secret.pop("stringData", None)
    if string_data:
        data = dict(secret.get("data") or {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        secret["data"] = data


def _spec_finalizers(obj: dict) -> list:
    return (obj.get("spec") or {}).get("finalizers") or [] if obj["kind"] == "Namespace" else []


def _finalized(obj: dict) -> bool:
    """A deleting object is removed once no finalizer holds it (a pod: once its kubelet let go)."""
    meta = obj["metadata"]
    if meta.get("finalizers") or _spec_finalizers(obj):
        return False
    if obj["kind"] == "Pod":
        return meta.get("deletionGracePeriodSeconds") == 0 or not obj["spec"].get("nodeName")
    return True


def _same(candidate: dict, live: dict) -> bool:
    a = dict(
        candidate,
        metadata={k: v for k, v in candidate["metadata"].items() if k != "resourceVersion"},
    )
    b = dict(live, metadata={k: v for k, v in live["metadata"].items() if k != "resourceVersion"})
    return a == b


def _served_upstream(kind, api_version) -> bool:
    """Whether a default Kubernetes API server serves ``kind`` in ``api_version``.

    The official schemas hold exactly the kinds and versions served by default; alpha and
    beta versions are off by default, so their kinds are refused by kubectl's REST mapping.
    """
    from kubelab.api import schema

    if not isinstance(kind, str) or not isinstance(api_version, str):
        return False
    version = api_version.rpartition("/")[2]
    return "alpha" not in version and "beta" not in version and schema.has_schema(kind, api_version)


def _unsupported(obj: dict, registry: kinds.Registry | None = None) -> str:
    kind, version = obj.get("kind"), obj.get("apiVersion")
    served = registry.all() if registry is not None else kinds.KINDS
    supported = ", ".join(sorted(rt.kind for rt in served))
    return (
        f'kind "{kind}" (apiVersion "{version}") is not supported by kubelab; '
        f"the kinds it simulates are: {supported}"
    )


class Client:
    """What a component holds: the API server's verbs, signed with the component's name.

    With ``qps``, writes take tokens from a bucket of ``burst`` (client-go's rest client
    rate limiter). A write past the bucket is not refused: nothing blocks on a simulated
    clock, so it is served and leaves the bucket in debt; :meth:`throttle_delay` says how
    long the caller would have waited, and a controller's queue waits that long before its
    next sync. Reads come from informers and Events are best-effort: neither is limited.

    Examples
    --------
    >>> from kubelab.sim import Clock
    >>> clock = Clock(); api = APIServer(clock); api.namespace_checks = False
    >>> client = api.client("replicaset-controller", qps=20, burst=2)
    >>> for name in "abc":
    ...     _ = client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})
    >>> client.throttle_delay()   # the third write went one token past the burst
    0.05
    >>> _ = clock.run_until(0.05); client.throttle_delay()
    0.0
    """

    def __init__(self, server: APIServer, user: str, *, qps: float | None = None, burst: int = 1):
        from kubelab.client.flowcontrol import TokenBucket

        self.server, self.user = server, user
        self.limiter = TokenBucket(server.clock, qps, burst) if qps else None

    def _throttle(self) -> None:
        if self.limiter is not None:
            self.limiter.reserve()

    def throttle_delay(self) -> float:
        """Seconds until the writes sent so far have left the client's rate limiter (0: now)."""
        return self.limiter.delay() if self.limiter is not None else 0.0

    def create(self, obj, **kw):
        self._throttle()
        return self.server.create(obj, user=self.user, **kw)

    def get(self, kind, name, namespace="default"):
        return self.server.get(kind, name, namespace, user=self.user)

    def list(self, kind, namespace=None, selector=None, field_selector=None):
        return self.server.list(kind, namespace, selector, field_selector, user=self.user)

    def update(self, obj, **kw):
        self._throttle()
        return self.server.update(obj, user=self.user, **kw)

    def update_status(self, obj):
        self._throttle()
        return self.server.update(obj, user=self.user, subresource="status")

    def patch(self, kind, name, namespace, patch, patch_type="strategic", **kw):
        self._throttle()
        return self.server.patch(kind, name, namespace, patch, patch_type, user=self.user, **kw)

    def apply(self, obj, **kw):
        self._throttle()
        return self.server.apply(obj, user=self.user, **kw)

    def delete(self, kind, name, namespace="default", **kw):
        self._throttle()
        return self.server.delete(kind, name, namespace, user=self.user, **kw)

    def bind(self, pod, node_name):
        self._throttle()
        return self.server.bind(pod, node_name, user=self.user)

    def evict(self, name, namespace="default", **kw):
        """The ``pods/eviction`` subresource: a delete that respects PodDisruptionBudgets."""
        from kubelab.apiserver.eviction import evict

        self._throttle()
        return evict(self.server, namespace, name, user=self.user, **kw)

    def event(self, obj, type_, reason, message):
        """Record a Kubernetes Event about ``obj`` (aggregated by count, like EventRecorder)."""
        return self.server.events.record(obj, type_, reason, message, source=self.user)


def _selectors(rt: kinds.ResourceType, selector, field_selector) -> tuple:
    """Parse a list's label and field selectors as the API server decodes its query."""
    from kubelab.api import fields, labels

    sel = fsel = None
    try:
        if selector:
            sel = labels.parse(selector) if isinstance(selector, str) else selector
        if field_selector:
            fsel = (
                fields.parse_field_selector(field_selector, kind=rt.kind)
                if isinstance(field_selector, str)
                else field_selector
            )
    except (labels.SelectorError, fields.FieldSelectorError) as error:
        raise InvalidSelector(str(error)) from None
    for parsed, what in ((sel, "label"), (fsel, "field")):
        if parsed is not None and not callable(getattr(parsed, "matches", None)):
            raise InvalidSelector(
                f"a {what} selector is a string such as app=web, not {type(parsed).__name__}"
            )
    return sel, fsel
