"""The studies' questions (analysis/questions.py) as the reader sees them: one line per question
with its answer, and one table row per part."""
from __future__ import annotations


def lines(questions: list[dict]) -> list[str]:
    """'holds: R improves on C: ... (parts: accuracy holds, ssim not decided)'."""
    out = []
    for q in questions:
        parts = ", ".join(f"{p['id']} {p['verdict']}" for p in q["parts"])
        out.append(f"{q['verdict']}: {q['question']}" + (f" ({q['reason']})" if q.get("reason") else "")
                   + f". Parts: {parts}.")
    return out


def rows(questions: list[dict]) -> list[dict]:
    """A row per part: the question, its answer, the part, the part's answer and evidence."""
    return [{"question": q["question"], "answer": q["verdict"], "part": p["id"], "part's answer": p["verdict"],
             "evidence": p.get("reason", "")} for q in questions for p in q["parts"]]
