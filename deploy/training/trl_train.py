"""Train a model on a campaign's output with TRL, on CPU or GPU: a starting point for users, and the training command
of the online DPO test (deploy/training/README.md says how to run it).

  python trl_train.py dpo --data CAMPAIGN/dpo_trl      --model BASE_OR_PREVIOUS_CHECKPOINT --output OUT [--max-steps N]
  python trl_train.py sft --data CAMPAIGN/sft_messages --model BASE --output OUT [--max-steps N]

--data is a JSONL file or a directory of parts (a campaign's datasets are: part-00000.jsonl, ...), loaded in name order.

As an online DPO training command it takes everything from the round's environment when the flags are left out:
AUTOIF_DPO_PAIRS (data), AUTOIF_DPO_PREVIOUS_CHECKPOINT (model; else AUTOIF_BASE_MODEL), AUTOIF_DPO_OUTPUT_DIR (output).
The checkpoint written to OUT is a Hugging Face directory (weights, tokenizer with its chat template, and a
generation_config with sampling on, so `transformers serve OUT` honours temperature), ready to serve for the next
round. The loss of every step is printed as `step N loss X`."""
import argparse
import json
import os
import sys
from pathlib import Path

import torch
from datasets import load_dataset
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["sft", "dpo"])
    p.add_argument("--data", default=os.environ.get("AUTOIF_DPO_PAIRS"))
    p.add_argument("--model", default=os.environ.get("AUTOIF_DPO_PREVIOUS_CHECKPOINT") or os.environ.get("AUTOIF_BASE_MODEL"))
    p.add_argument("--output", default=os.environ.get("AUTOIF_DPO_OUTPUT_DIR"))
    p.add_argument("--max-steps", type=int, default=-1, help="stop after N optimizer steps (default: one epoch)")
    p.add_argument("--learning-rate", type=float, default=5e-6)
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--max-length", type=int, default=512)
    a = p.parse_args()
    for name in ("data", "model", "output"):
        if not getattr(a, name):
            print(f"trl_train.py: --{name} is required (or its AUTOIF_* environment variable)", file=sys.stderr)
            return 2
    data_path = Path(a.data)
    files = sorted(str(f) for f in data_path.iterdir() if f.is_file()) if data_path.is_dir() \
        else [a.data] if data_path.is_file() else []
    if not any(os.path.getsize(f) > 0 for f in files):
        print(f"trl_train.py: no data in {a.data} (a round without pairs has nothing to train on)", file=sys.stderr)
        return 2

    tokenizer = AutoTokenizer.from_pretrained(a.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(a.model)
    data = load_dataset("json", data_files=files, split="train")
    common = dict(output_dir=a.output, max_steps=a.max_steps, per_device_train_batch_size=a.batch_size,
                  learning_rate=a.learning_rate, logging_steps=1, save_strategy="no", report_to="none",
                  max_length=a.max_length, dataloader_num_workers=0,
                  # TRL defaults to bf16, which a CPU-only machine refuses: full precision there.
                  use_cpu=not torch.cuda.is_available(), bf16=torch.cuda.is_available())
    if a.kind == "dpo":
        trainer = DPOTrainer(model=model, args=DPOConfig(**common), train_dataset=data, processing_class=tokenizer)
    else:
        trainer = SFTTrainer(model=model, args=SFTConfig(**common), train_dataset=data, processing_class=tokenizer)
    trainer.train()
    for entry in trainer.state.log_history:
        if "loss" in entry:
            print(f"step {entry['step']} loss {entry['loss']:.4f}", flush=True)
    trainer.save_model(a.output)
    tokenizer.save_pretrained(a.output)
    generation = Path(a.output) / "generation_config.json"
    config = json.loads(generation.read_text()) if generation.exists() else {}
    config.update({"do_sample": True})
    generation.write_text(json.dumps(config, indent=2))
    print(f"checkpoint: {a.output}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
