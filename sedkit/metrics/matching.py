"""Event matching with sed_eval's tie-breaking.

The number of true positives is the size of a maximum matching, which is unique; *which* events stay
unmatched is not, and sed_eval's substitution count (and so its error rate) depends on it. To give the
same numbers, :func:`max_bipartite_matching` follows the Hopcroft-Karp variant sed_eval uses (D. Eppstein's,
via mir_eval): a greedy initial matching in graph order, then phases of layered breadth-first search and
depth-first augmentation, visiting vertices in dict insertion order. :func:`first_free_assignment` is
sed_eval's "greedy" matching and its substitution pass: each left vertex in order takes its first
right neighbour that is still free.
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Sequence

__all__ = ["max_bipartite_matching", "first_free_assignment"]


def max_bipartite_matching(graph: Dict[int, List[int]]) -> Dict[int, int]:
    """Maximum-cardinality matching of a bipartite graph.

    Args:
        graph: left vertex -> its right neighbours, both in the order sed_eval builds them.

    Returns:
        right vertex -> matched left vertex.
    """
    matching: Dict[int, int] = {}
    for left, neighbours in graph.items():
        for right in neighbours:
            if right not in matching:
                matching[right] = left
                break

    while True:
        # Layer the residual graph from the free left vertices. `previous[left]` is the right vertex the
        # layering reached `left` through; free left vertices carry the sentinel list `free_right`.
        reached_from: Dict[int, List[int]] = {}
        free_right: List[int] = []
        previous: Dict[int, object] = {left: free_right for left in graph}
        for right in matching:
            del previous[matching[right]]
        layer = list(previous)
        while layer and not free_right:
            next_layer: Dict[int, List[int]] = {}
            for left in layer:
                for right in graph[left]:
                    if right not in reached_from:
                        next_layer.setdefault(right, []).append(left)
            layer = []
            for right, lefts in next_layer.items():
                reached_from[right] = lefts
                if right in matching:
                    layer.append(matching[right])
                    previous[matching[right]] = right
                else:
                    free_right.append(right)
        if not free_right:
            return matching

        def augment(right: int) -> bool:
            lefts = reached_from.pop(right, None)
            if lefts is None:
                return False
            for left in lefts:
                if left in previous:
                    before = previous.pop(left)
                    if before is free_right or augment(before):
                        matching[right] = left
                        return True
            return False

        for right in free_right:
            augment(right)


def first_free_assignment(candidates: Iterable[Sequence[int]]) -> List[int]:
    """For each left vertex in order, the first candidate right vertex not yet taken (or -1)."""
    taken = set()
    assigned = []
    for options in candidates:
        choice = -1
        for right in options:
            if right not in taken:
                taken.add(right)
                choice = right
                break
        assigned.append(choice)
    return assigned
