"""Profiles as columns: the array form every later stage works on.

A pool is built once per roster and is independent of the other side, so what-if runs can
reuse it. People are ordered by id, which makes results independent of row order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Any, Final, Generic, TypeVar, overload

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from buddymatch._profiles import Local, Person
from buddymatch._vocab import modes_mask, slots_mask

_GENDER_CODE = {None: 0, "f": 1, "m": 2, "x": 3}
T = TypeVar("T")


@dataclass(frozen=True)
class Pool:
    """Column arrays for one side (newcomers or locals), rows in id order."""

    ids: tuple[str, ...]
    lat: NDArray[np.float64]  # radians
    lon: NDArray[np.float64]  # radians
    levels: NDArray[np.int8]  # (n, n_languages): 0 = does not speak it
    slots: NDArray[np.int64]  # bitmask of free weekly slots
    modes: NDArray[np.int64]  # bitmask of travel modes
    max_travel: NDArray[np.float64]
    gender: NDArray[np.int8]  # 0 unknown, 1 f, 2 m, 3 x
    wants_same_gender: NDArray[np.bool_]
    age: NDArray[np.float64]  # NaN when unknown
    household: NDArray[np.int64]
    wants_dutch: NDArray[np.bool_]
    interests: sp.csr_matrix  # (n, n_tags) 0/1
    capacity: NDArray[np.int64]
    municipality: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.ids)

    def take(self, rows: NDArray[np.int64]) -> Pool:
        """The pool of the people at ``rows`` (in that order)."""
        return Pool(
            ids=tuple(self.ids[int(i)] for i in rows),
            lat=self.lat[rows],
            lon=self.lon[rows],
            levels=self.levels[rows],
            slots=self.slots[rows],
            modes=self.modes[rows],
            max_travel=self.max_travel[rows],
            gender=self.gender[rows],
            wants_same_gender=self.wants_same_gender[rows],
            age=self.age[rows],
            household=self.household[rows],
            wants_dutch=self.wants_dutch[rows],
            interests=sp.csr_matrix(self.interests[rows]),
            capacity=self.capacity[rows],
            municipality=tuple(self.municipality[int(i)] for i in rows),
        )

    @cached_property
    def xyz(self) -> NDArray[np.float64]:
        """Points on the unit sphere, one row per person (for straight-line distances)."""
        c = np.cos(self.lat)
        return np.column_stack([c * np.cos(self.lon), c * np.sin(self.lon), np.sin(self.lat)])

    @cached_property
    def level_masks(self) -> NDArray[np.uint64]:
        """(level 0–7, person, word) bitmasks: bit ``c`` of word ``c // 64`` is set when the
        person speaks language column ``c`` at that level or above."""
        n, k = self.levels.shape
        words = max((k + 63) // 64, 1)
        out = np.zeros((8, n, words), dtype=np.uint64)
        for col in range(k):
            bit = np.uint64(1) << np.uint64(col % 64)
            for level in range(8):
                out[level, self.levels[:, col] >= level, col // 64] |= bit
        return out

    @cached_property
    def interest_masks(self) -> NDArray[np.uint64]:
        """(person, word) bitmasks of ``interests``: bit ``t % 64`` of word ``t // 64`` is
        set when the person has interest tag ``t``, so two people's shared tags are an AND."""
        n, k = self.interests.shape
        tags = sp.coo_matrix(self.interests)
        out = np.zeros((n, max((k + 63) // 64, 1)), dtype=np.uint64)
        bits = np.left_shift(np.uint64(1), (tags.col % 64).astype(np.uint64))
        np.bitwise_or.at(out, (tags.row, tags.col // 64), bits)
        return out

    def in_vocabulary(self, own: Vocabulary, joint: Vocabulary) -> Pool:
        """This pool, built over ``own``, with its language and interest columns moved to
        ``joint`` (which holds every language and tag of ``own``): what :func:`build_pool`
        over ``joint`` gives, without going through the people again."""
        if own == joint:
            return self
        lang_col = {c: i for i, c in enumerate(joint.languages)}
        levels = np.zeros((self.size, len(joint.languages)), dtype=np.int8)
        levels[:, [lang_col[c] for c in own.languages]] = self.levels
        tag_col = {t: i for i, t in enumerate(joint.tags)}
        moved = np.array([tag_col[t] for t in own.tags], dtype=np.int32)
        # Both vocabularies are sorted, so the moved columns keep each row's order.
        interests = sp.csr_matrix(
            (self.interests.data, moved[self.interests.indices], self.interests.indptr),
            shape=(self.size, len(joint.tags)),
        )
        return dataclasses.replace(self, levels=levels, interests=interests)


@dataclass(frozen=True)
class Vocabulary:
    """Languages and interest tags shared by both pools, so their columns line up."""

    languages: tuple[str, ...]
    tags: tuple[str, ...]

    @classmethod
    def of(cls, *groups: Sequence[Person]) -> Vocabulary:
        people = [p for g in groups for p in g]
        return cls.of_columns([p.languages for p in people], [p.interests for p in people])

    @classmethod
    def of_columns(
        cls, languages: Sequence[Mapping[str, int]], interests: Sequence[Sequence[str]]
    ) -> Vocabulary:
        """:meth:`of` for people given as columns (each person's languages and interests)."""
        langs = sorted({code for spoken in _distinct(languages)[0] for code in spoken})
        tags = sorted({t for tagged in _distinct(interests)[0] for t in tagged})
        return cls(tuple(langs), tuple(tags))

    def merged(self, other: Vocabulary) -> Vocabulary:
        """The languages and tags of both (what :meth:`of` gives for both groups of people)."""
        return Vocabulary(
            tuple(sorted({*self.languages, *other.languages})),
            tuple(sorted({*self.tags, *other.tags})),
        )


# The profile fields a pool is made of.
POOL_FIELDS: Final = (
    "id",
    "lat",
    "lon",
    "languages",
    "availability",
    "transport",
    "max_travel_min",
    "gender",
    "gender_preference",
    "age",
    "household_size",
    "wants_dutch_practice",
    "interests",
    "capacity",
    "municipality",
)


def build_pool(people: Sequence[Person], vocab: Vocabulary) -> Pool:
    """Columns for ``people`` (already in the order wanted; :func:`sort_by_id` first)."""
    columns = {f: list(map(attrgetter(f), people)) for f in POOL_FIELDS if f != "capacity"}
    columns["capacity"] = [p.capacity if isinstance(p, Local) else 1 for p in people]
    return pool_of_columns(columns, vocab)


def pool_of_columns(columns: Mapping[str, Sequence[Any]], vocab: Vocabulary) -> Pool:
    """The pool of people given as columns: each of :data:`POOL_FIELDS`, one value per
    person, as their profiles hold them (in the order wanted); no capacity: 1 each.

    Values that people share (a reader gives every row with the same cell one value) are
    turned into their columns or bits once.
    """
    spoken, spoken_at = _distinct(columns["languages"])
    lang_col = {c: i for i, c in enumerate(vocab.languages)}
    levels = np.zeros((len(spoken), len(vocab.languages)), dtype=np.int8)
    for i, langs in enumerate(spoken):
        for code, lvl in langs.items():
            levels[i, lang_col[code]] = int(lvl)
    tagged, tagged_at = _distinct(columns["interests"])
    tag_col = {t: i for i, t in enumerate(vocab.tags)}
    rows = [i for i, tags in enumerate(tagged) for _ in tags]
    cols = [tag_col[t] for tags in tagged for t in tags]
    interests = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(len(tagged), len(vocab.tags))
    )
    slots, slots_at = _distinct(columns["availability"])
    modes, modes_at = _distinct(columns["transport"])
    return Pool(
        ids=tuple(columns["id"]),
        lat=np.radians(np.array(columns["lat"], dtype=np.float64)),
        lon=np.radians(np.array(columns["lon"], dtype=np.float64)),
        levels=levels[spoken_at],
        slots=np.array([slots_mask(v) for v in slots], dtype=np.int64)[slots_at],
        modes=np.array([modes_mask(v) for v in modes], dtype=np.int64)[modes_at],
        max_travel=np.array(columns["max_travel_min"], dtype=np.float64),
        gender=np.array([_GENDER_CODE[g] for g in columns["gender"]], dtype=np.int8),
        wants_same_gender=np.array([g == "same" for g in columns["gender_preference"]], dtype=bool),
        age=np.array([np.nan if a is None else a for a in columns["age"]], dtype=np.float64),
        household=np.array(columns["household_size"], dtype=np.int64),
        wants_dutch=np.array(columns["wants_dutch_practice"], dtype=bool),
        interests=sp.csr_matrix(interests[tagged_at]),
        capacity=np.array(columns.get("capacity", [1] * len(columns["id"])), dtype=np.int64),
        municipality=tuple(m or "" for m in columns["municipality"]),
    )


def _distinct(values: Sequence[T]) -> tuple[list[T], NDArray[np.intp]]:
    """The distinct objects among ``values`` (by identity: equal values that are not one
    object count twice, which costs nothing but time) and where each value is in them."""
    ids = np.fromiter(map(id, values), dtype=np.uint64, count=len(values))
    _, first, at = np.unique(ids, return_index=True, return_inverse=True)
    return [values[i] for i in first], at.astype(np.intp)


P = TypeVar("P", bound=Person)


def sort_by_id(people: Sequence[P]) -> list[P]:
    return sorted(people, key=lambda p: p.id)


class PooledPeople(Sequence[P], Generic[P]):
    """People as a pool (over their own vocabulary), for matching, which needs only the
    pool; their profiles are made only if something asks for them, by ``again()`` (the
    file read once more). A roster read in another process sends back its pool alone:
    pickling its profiles there and unpickling them here cost 0.1–0.2 s of a
    10,000-newcomer run that never used them.
    """

    def __init__(self, vocab: Vocabulary, pool: Pool, again: Callable[[], Sequence[P]]) -> None:
        self.vocab = vocab
        self.pool = pool  # in id order
        self._again = again
        self._people: list[P] | None = None

    @classmethod
    def of(cls, people: Sequence[P], again: Callable[[], Sequence[P]]) -> PooledPeople[P]:
        """The pool of ``people`` (profiles), which ``again()`` must give again."""
        vocab = Vocabulary.of(people)
        return cls(vocab, build_pool(sort_by_id(people), vocab), again)

    @classmethod
    def of_columns(
        cls, columns: Mapping[str, Sequence[Any]], again: Callable[[], Sequence[P]]
    ) -> PooledPeople[P]:
        """The pool of people given as columns (see :func:`pool_of_columns`, in any order)."""
        vocab = Vocabulary.of_columns(columns["languages"], columns["interests"])
        ids = columns["id"]
        by_id = np.array(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)
        return cls(vocab, pool_of_columns(columns, vocab).take(by_id), again)

    def people(self) -> list[P]:
        """The profiles, from ``again()`` on the first call."""
        if self._people is None:
            people = list(self._again())
            if len(people) != self.pool.size:
                raise RuntimeError("the people read again are not the people read before")
            self._people = people
        return self._people

    def __len__(self) -> int:
        return self.pool.size

    @overload
    def __getitem__(self, index: int) -> P: ...
    @overload
    def __getitem__(self, index: slice) -> list[P]: ...
    def __getitem__(self, index: int | slice) -> P | list[P]:
        return self.people()[index]

    def __iter__(self) -> Iterator[P]:
        return iter(self.people())


def pools(newcomers: Sequence[Person], locals_: Sequence[Person]) -> tuple[Vocabulary, Pool, Pool]:
    """Both sides as columns over one vocabulary. Each side is people in id order
    (:func:`sort_by_id`), or :class:`PooledPeople`, whose pool (in id order) has its
    columns moved to the joint vocabulary instead of being built again."""
    own = [
        side.vocab if isinstance(side, PooledPeople) else Vocabulary.of(side)
        for side in (newcomers, locals_)
    ]
    vocab = own[0].merged(own[1])

    def pool(side: Sequence[Person], its_vocab: Vocabulary) -> Pool:
        if isinstance(side, PooledPeople):
            return side.pool.in_vocabulary(its_vocab, vocab)
        return build_pool(side, vocab)

    return vocab, pool(newcomers, own[0]), pool(locals_, own[1])
