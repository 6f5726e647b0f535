"""Lesson 10's checks accept right answers and reject plausible wrong ones, with a message."""

from __future__ import annotations

import copy

import pytest
import yaml

from kubelab.exercises import (
    CheckFailed,
    check_ingress_prediction,
    check_ingress_routes,
    check_tls_ingress,
)
from kubelab.exercises.checks import course_file


def fails(fn, *args, match, **kwargs):
    with pytest.raises(CheckFailed, match=match) as info:
        fn(*args, **kwargs)
    return info.value


def path(p, service, kind="Prefix"):
    return {
        "path": p,
        "pathType": kind,
        "backend": {"service": {"name": service, "port": {"number": 80}}},
    }


RIGHT = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {"name": "site"},
    "spec": {
        "rules": [
            {
                "host": "shop.example.com",
                "http": {"paths": [path("/", "web"), path("/api", "api")]},
            },
            {"host": "blog.example.com", "http": {"paths": [path("/", "blog")]}},
        ]
    },
}


def test_routes_accepts_a_right_ingress_as_dict_and_yaml(capsys):
    check_ingress_routes(RIGHT)
    check_ingress_routes(yaml.safe_dump(RIGHT))
    assert capsys.readouterr().out.count("✅") == 2


def test_routes_accepts_two_rules_for_the_api_exact_and_prefix(capsys):
    ing = copy.deepcopy(RIGHT)
    ing["spec"]["rules"][0]["http"]["paths"] = [
        path("/", "web"),
        path("/api", "api", "Exact"),
        path("/api/", "api"),
    ]
    check_ingress_routes(ing)
    assert "✅" in capsys.readouterr().out


def _with_paths(*paths):
    ing = copy.deepcopy(RIGHT)
    ing["spec"]["rules"][0]["http"]["paths"] = list(paths)
    return ing


@pytest.mark.parametrize(
    ("ingress", "match"),
    [
        # ImplementationSpecific is a string prefix in nginx: /apis goes to api
        (
            _with_paths(path("/", "web"), path("/api", "api", "ImplementationSpecific")),
            r"/apis reaches Service 'api', expected Service 'web'",
        ),
        # Exact /api does not cover /api/items
        (
            _with_paths(path("/", "web"), path("/api", "api", "Exact")),
            r"/api/items\?page=2 reaches Service 'web'",
        ),
        # forgot the root path: / goes to the default backend
        (_with_paths(path("/api", "api")), r"http://shop.example.com/ reaches 404"),
    ],
)
def test_routes_rejects_wrong_path_types(ingress, match):
    fails(check_ingress_routes, ingress, match=match)


def test_routes_rejects_a_catch_all_default_backend_and_a_missing_host():
    catch_all = copy.deepcopy(RIGHT)
    catch_all["spec"]["defaultBackend"] = {"service": {"name": "web", "port": {"number": 80}}}
    del catch_all["spec"]["rules"][0]["host"]  # shop rules for every host
    fails(
        check_ingress_routes,
        catch_all,
        match=r"www\.example\.com/ reaches Service 'web', expected 404",
    )
    no_blog = copy.deepcopy(RIGHT)
    no_blog["spec"]["rules"].pop()
    fails(check_ingress_routes, no_blog, match=r"blog\.example\.com/ reaches 404")


def test_routes_rejects_invalid_or_unanswered_input():
    fails(check_ingress_routes, ..., match="still")
    fails(check_ingress_routes, {**RIGHT, "kind": "Service"}, match="kind should be 'Ingress'")
    bad = _with_paths(
        {"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}}
    )
    fails(check_ingress_routes, bad, match="pathType: Required value")
    other_class = copy.deepcopy(RIGHT)
    other_class["spec"]["ingressClassName"] = "traefik"
    fails(check_ingress_routes, other_class, match="reaches 404")


TLS_SECRET = yaml.safe_load(course_file("ingress-shop-tls.yaml").read_text().split("---")[0])


def _tls_answer(hosts=("shop.example.com",), secret=TLS_SECRET, extra_rules=()):
    shop = yaml.safe_load(course_file("ingress-shop-tls.yaml").read_text().split("---")[1])
    shop["spec"]["tls"][0]["hosts"] = list(hosts)
    shop["spec"]["rules"].extend(extra_rules)
    blog = yaml.safe_load(course_file("ingress-blog.yaml").read_text())
    return [secret, shop, blog]


def test_tls_accepts_a_secret_and_an_ingress(capsys):
    check_tls_ingress(_tls_answer())
    check_tls_ingress(yaml.safe_dump_all(_tls_answer()))
    assert capsys.readouterr().out.count("✅") == 2


def test_tls_rejects_wrong_answers():
    fails(check_tls_ingress, _tls_answer()[1:], match="give a Secret")
    opaque = {**TLS_SECRET, "type": "Opaque"}
    fails(check_tls_ingress, _tls_answer(secret=opaque), match="kubernetes.io/tls")
    # the host is not listed in tls.hosts: nginx serves its fake certificate
    fails(
        check_tls_ingress, _tls_answer(hosts=("www.example.com",)), match="default-fake-certificate"
    )
    # blog in the same Ingress as the TLS section: ingress-nginx redirects it too
    blog_rule = {"host": "blog.example.com", "http": {"paths": [path("/", "blog")]}}
    answer = _tls_answer(extra_rules=[blog_rule])[:2]
    fails(check_tls_ingress, answer, match=r"http://blog\.example\.com/ reaches a 308 redirect")


def test_prediction_accepts_the_truth_and_rejects_a_wrong_guess(capsys):
    right = {
        "http://shop.example.com/api/cart": "api",
        "http://shop.example.com/apis": "web",
        "http://blog.example.com/any/thing": "blog",
        "http://www.example.com/": 404,
        "http://shop.example.com/": "web",
    }
    check_ingress_prediction(right)
    check_ingress_prediction({**right, "http://www.example.com/": "404"})  # a string code is fine
    assert capsys.readouterr().out.count("✅") == 2
    fails(
        check_ingress_prediction,
        {**right, "http://shop.example.com/apis": "api"},
        match="/apis: you said Service 'api'",
    )
    fails(check_ingress_prediction, {"http://www.example.com/": "web"}, match="reaches 404")
    fails(check_ingress_prediction, {"http://a/": ...}, match="still")
    fails(check_ingress_prediction, [], match="give a dict")


def test_prediction_with_urls_rejects_answers_that_leave_a_question_out(capsys):
    urls = ["http://shop.example.com/apis", "http://www.example.com/"]
    check_ingress_prediction({urls[0]: "web", urls[1]: 404}, urls=urls)
    assert "✅" in capsys.readouterr().out
    fails(check_ingress_prediction, {urls[0]: "web"}, urls=urls, match="missing: http://www")


def test_prediction_rejects_the_unfilled_skeleton_of_the_student_copy():
    fails(check_ingress_prediction, {"http://shop.example.com/apis": None}, match="is still `None`")
