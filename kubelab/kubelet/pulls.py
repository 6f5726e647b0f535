"""``EnsureImageExists``: the image step of starting a container, with its events and errors.

The node keeps an image cache (:meth:`Kubelet.image_present`); pulls are serialized per
node (``serializeImagePulls: true``, the default), so a second pull waits for the first —
the "including waiting" part of the Pulled event. A tag that does not exist fails with
ErrImagePull; further attempts back off (ImagePullBackOff, 10 s doubling to 300 s).
"""

from __future__ import annotations

from kubelab.images import InvalidImageName, parse_reference
from kubelab.kubelet.backoff import go_duration

__all__ = ["ALWAYS_PULL_SECONDS", "PULL_FAIL_SECONDS", "ensure_image", "pull_policy"]

ALWAYS_PULL_SECONDS = 0.3  # imagePullPolicy Always with the image present: a registry round trip
PULL_FAIL_SECONDS = 1.0  # resolving a tag that does not exist
RESYNC_AFTER_ERROR = 1.0  # the next sync after a failed pull (PLEG relist period)


def pull_policy(spec: dict) -> str:
    """The container's imagePullPolicy, defaulted as the API server does (Always for :latest).

    Examples
    --------
    >>> pull_policy({"image": "nginx"}), pull_policy({"image": "nginx:1.25"})
    ('Always', 'IfNotPresent')
    """
    policy = spec.get("imagePullPolicy")
    if policy:
        return policy
    try:
        ref = parse_reference(spec.get("image", ""))
    except InvalidImageName:
        return "IfNotPresent"
    return "Always" if ref.tag == "latest" and "@" not in spec.get("image", "") else "IfNotPresent"


def ensure_image(worker, c):
    """A generator for a pod worker's sync: yields waits; returns True once the image is there."""
    ref = c.spec.get("image", "")
    if c.image is None:
        message = f'Failed to apply default image tag "{ref}": invalid reference format'
        try:
            parse_reference(ref)
        except InvalidImageName as error:
            message = f'Failed to apply default image tag "{ref}": {error}'
        if c.waiting_reason != "InvalidImageName":
            worker.event("Warning", "InspectFailed", message)
            worker.event("Warning", "Failed", "Error: InvalidImageName")
        c.wait("InvalidImageName", message)
        return False
    kubelet, now = worker.kubelet, worker.clock.now
    policy = pull_policy(c.spec)
    present = kubelet.image_present(c.image)
    if policy == "Never" and not present:
        message = f'Container image "{ref}" is not present with pull policy of Never'
        if c.waiting_reason != "ErrImageNeverPull":
            worker.event("Warning", "ErrImageNeverPull", message)
            worker.event("Warning", "Failed", "Error: ErrImageNeverPull")
        c.wait("ErrImageNeverPull", message)
        return False
    if present and policy != "Always":
        worker.event("Normal", "Pulled", f'Container image "{ref}" already present on machine')
        return True
    key = (worker.uid, ref)
    if kubelet.pull_backoff.in_backoff_since_update(key, now):
        message = f'Back-off pulling image "{ref}"'
        worker.event("Normal", "BackOff", message)
        worker.event("Warning", "Failed", "Error: ImagePullBackOff")
        c.wait("ImagePullBackOff", message)
        worker.resync_at(kubelet.pull_backoff.until(key))
        return False
    worker.event("Normal", "Pulling", f'Pulling image "{ref}"')
    started, (pull_start, finish, ok) = now, kubelet.pull(c.image, present)
    yield finish - now
    now = worker.clock.now
    if not ok:
        name = c.image.normalized
        error = (
            f'rpc error: code = NotFound desc = failed to pull and unpack image "{name}": '
            f'failed to resolve reference "{name}": {name}: not found'
        )
        worker.event("Warning", "Failed", f'Failed to pull image "{ref}": {error}')
        worker.event("Warning", "Failed", "Error: ErrImagePull")
        kubelet.pull_backoff.next(key, now)
        c.wait("ErrImagePull", error)
        worker.resync_at(now + RESYNC_AFTER_ERROR)
        return False
    worker.event(
        "Normal",
        "Pulled",
        f'Successfully pulled image "{ref}" in {go_duration(round(finish - pull_start, 3))} '
        f"({go_duration(round(now - started, 3))} including waiting). "
        f"Image size: {c.image.size_bytes} bytes.",
    )
    return True
