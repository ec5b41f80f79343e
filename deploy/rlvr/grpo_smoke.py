"""TRL's GRPOTrainer for a few steps on an `autoif export rlvr` trl.jsonl, rewarded by a running reward service.

Usage: OMP_NUM_THREADS=1 AUTOIF_REWARD_URL=http://127.0.0.1:PORT python grpo_smoke.py TRL_JSONL MODEL_DIR OUT_DIR [STEPS]
Prints one `rewards n=<completions> scored=<non-None> values=[...]` line per reward call, then `GRPO done steps=N`.
"""
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import datasets  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

from autoif_reward import autoif_reward  # noqa: E402

data, model, out = sys.argv[1], sys.argv[2], sys.argv[3]
steps = int(sys.argv[4]) if len(sys.argv) > 4 else 2
train = datasets.load_dataset("json", data_files=data, split="train").select(range(8))


def reward(prompts, completions, **columns):
    rewards = autoif_reward(prompts, completions, **columns)
    print(f"rewards n={len(completions)} scored={sum(r is not None for r in rewards)} values={rewards}", flush=True)
    return rewards


config = GRPOConfig(output_dir=out, max_steps=steps, per_device_train_batch_size=4, num_generations=4,
                    max_completion_length=16, logging_steps=1, report_to="none", save_strategy="no",
                    use_cpu=True, bf16=False, seed=0)
trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=config, train_dataset=train)
result = trainer.train()
print(f"GRPO done steps={result.global_step}", flush=True)
