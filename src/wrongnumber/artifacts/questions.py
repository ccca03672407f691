"""The studies' questions (analysis/questions.py) as the reader sees them: one line per question
with its answer, and one table row per part."""
from __future__ import annotations


def lines(questions: list[dict]) -> list[str]:
    """'holds: R improves on C: ... Parts that hold: accuracy, ssim; not decided: energy_in_mask.'"""
    out = []
    for q in questions:
        line = f"{q['verdict']}: {q['question']}" + (f" ({q['reason']})" if q.get("reason") else "") + "."
        groups = {}
        for p in q["parts"]:
            groups.setdefault(p["verdict"], []).append(p["id"])
        if set(groups) != {q["verdict"]}:  # say which parts decided it, when they differ
            line += " Parts: " + "; ".join(f"{v}: {', '.join(ids)}" for v, ids in groups.items()) + "."
        out.append(line)
    return out


def rows(questions: list[dict]) -> list[dict]:
    """A row per part: the question, its answer, the part, the part's answer and evidence."""
    return [{"question": q["question"], "answer": q["verdict"], "part": p["id"], "part's answer": p["verdict"],
             "evidence": p.get("reason", "")} for q in questions for p in q["parts"]]
