"""A fixed, seeded 80/20 split of the NLU examples, per language and intent.

The 80% is written as Rasa training data (with every synonym, regex and lookup table
kept whole, since those are not examples to score); the 20% are the held-out sentences.
A sentence that also appears among the training examples (in either language or another
intent) is dropped from the test side, so that no test sentence was seen in training.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

import yaml

LANGUAGES = ("en", "es")
# [text](entity) or [text]{"entity": ...}: the text is what a user would type.
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def examples_of(block: str) -> List[str]:
    """The examples of a Rasa `examples: |` block, one per `- ` line."""
    return [line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")]


def plain(example: str) -> str:
    return ANNOTATION.sub(r"\1", example)


def normal(text: str) -> str:
    return " ".join(plain(text).lower().split())


def language_of(path: Path, nlu_dir: Path) -> str:
    """data/nlu/<lang>/topic.yml → <lang>; shared files (synonyms, regexes) → ''."""
    parts = path.relative_to(nlu_dir).parts
    return parts[0] if len(parts) > 1 and parts[0] in LANGUAGES else ""


def split_examples(examples: Iterable[str], key: str, seed: int, test_share: float) -> Tuple[List[str], List[str]]:
    """Deterministic: the same examples, key and seed always give the same split.

    Sorted first so that file order does not matter; seeded by a string (stable across
    processes, unlike hash()). Intents with fewer than 2 examples stay whole in training.
    """
    unique = sorted(set(examples))
    random.Random(f"{seed}:{key}").shuffle(unique)
    n_test = round(len(unique) * test_share) if len(unique) >= 2 else 0
    n_test = max(n_test, 1) if len(unique) >= 2 else 0
    return sorted(unique[n_test:]), sorted(unique[:n_test])


def make_split(nlu_dir: Path, seed: int = 42, test_share: float = 0.2) -> Tuple[Dict[Path, dict], List[dict]]:
    """Returns (training files: relative path → YAML document, test cases: text/intent/lang)."""
    files = sorted(nlu_dir.rglob("*.yml"))
    documents = {path: yaml.safe_load(path.read_text(encoding="utf-8")) or {} for path in files}

    pooled: Dict[Tuple[str, str], List[str]] = {}
    for path, document in documents.items():
        lang = language_of(path, nlu_dir)
        for item in document.get("nlu") or []:
            if lang and "intent" in item and isinstance(item.get("examples"), str):
                pooled.setdefault((lang, item["intent"]), []).extend(examples_of(item["examples"]))

    train_set, test_cases = set(), []
    for (lang, intent), examples in sorted(pooled.items()):
        train, test = split_examples(examples, f"{lang}:{intent}", seed, test_share)
        train_set.update(train)
        test_cases.extend({"text": plain(t), "intent": intent, "lang": lang, "example": t} for t in test)

    seen = {normal(t) for t in train_set}
    test_cases = [c for c in test_cases if normal(c["example"]) not in seen]
    test_examples = {(c["lang"], c["intent"], c["example"]) for c in test_cases}

    out: Dict[Path, dict] = {}
    for path, document in documents.items():
        lang = language_of(path, nlu_dir)
        items = []
        for item in document.get("nlu") or []:
            if lang and "intent" in item and isinstance(item.get("examples"), str):
                kept = [e for e in examples_of(item["examples"]) if (lang, item["intent"], e) not in test_examples]
                if not kept:
                    continue
                item = dict(item, examples="".join(f"- {e}\n" for e in kept))
            items.append(item)
        out[path.relative_to(nlu_dir)] = dict(document, nlu=items)
    return out, [{k: c[k] for k in ("text", "intent", "lang")} for c in test_cases]


class _Literal(str):
    pass


def _literal(dumper: yaml.SafeDumper, value: _Literal):
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def write_training_files(files: Dict[Path, dict], target: Path) -> None:
    """Rasa YAML with `examples: |` blocks, as Rasa's own files are written."""
    for relative, document in files.items():
        items = [
            {k: (_Literal(v) if k == "examples" and isinstance(v, str) else v) for k, v in item.items()}
            for item in document.get("nlu") or []
        ]
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            yaml.dump(dict(document, nlu=items), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000),
            encoding="utf-8",
        )
