"""The shared evaluation catalogue (a real one, 1,348 offerings) loads without errors."""

from __future__ import annotations

from referral_api.domain import Catalog, EdgeKind


def test_selfhosted_catalog_loads(selfhosted_catalog: Catalog) -> None:
    assert len(selfhosted_catalog.offerings) == 1348
    assert len(selfhosted_catalog.capabilities) == 95


def test_k8s_is_canonicalised_by_the_rules(selfhosted_catalog: Catalog) -> None:
    platforms = {p for o in selfhosted_catalog.offerings for p in o.platforms}
    assert "kubernetes" in platforms
    assert "k8s" not in platforms


def test_self_references_are_not_graph_edges(selfhosted_catalog: Catalog) -> None:
    graph = selfhosted_catalog.graph
    assert not graph.has_edge("media-management", "media-management")
    assert all(data["kind"] in set(EdgeKind) for _, _, data in graph.edges(data=True))
