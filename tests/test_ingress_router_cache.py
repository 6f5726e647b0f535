"""The compiled ingress-nginx table is reused until an Ingress, IngressClass or Secret changes."""

from __future__ import annotations

import yaml

import kubelab as kl
from kubelab.exercises.checks import course_file
from kubelab.ingress import route_request, router_for


def test_router_survives_unrelated_writes_and_follows_ingress_changes():
    c = kl.Cluster(nodes=1, seed=0)
    shop = yaml.safe_load(course_file("ingress-shop.yaml").read_text())
    c.apply(shop)
    c.run(1)
    first = router_for(c)
    assert route_request(c, host="shop.example.com", path="/").service == "web"
    c.kubectl("label node node-1 extra=yes")  # a write the table does not read
    c.run(30)  # kubelets and controllers keep writing
    assert router_for(c) is first
    shop["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = "store"
    c.apply(shop)
    assert router_for(c) is not first
    assert route_request(c, host="shop.example.com", path="/").service == "store"
    c.kubectl("delete ingress shop")
    assert route_request(c, host="shop.example.com", path="/").status == 404
