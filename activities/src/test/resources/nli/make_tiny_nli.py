"""Builds a real but tiny ONNX NLI model directory, laid out as Hugging Face optimum exports one
(`optimum-cli export onnx --task text-classification`): model.onnx + tokenizer.json + config.json.

Usage: python make_tiny_nli.py OUT_DIR [--token-type-ids]

The model is a bag of words: logits[b] = sum over the unmasked tokens t of E[input_ids[b, t]], E a
per-token 3-vector. With --token-type-ids it also takes token_type_ids and counts only the second
segment (the hypothesis). Columns follow config.json's id2label, deliberately neither alphabetical
nor the usual entailment/neutral/contradiction order: 0 NEUTRAL, 1 Contradiction, 2 entailment.
The words "answer", "in", "english" vote entailment, "not" votes contradiction strongly, any other
word (and [UNK]) votes neutral, so with the premise "Answer in English.":
  "Answer in English."            -> entailment
  "Do not answer in English."     -> contradiction
  "Use a title."                  -> neutral
Needs the PyPI packages onnx and tokenizers (deploy/scripts/ensure-nli-test-tools.sh).
"""
import json
import os
import sys

import onnx
from onnx import TensorProto, helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

NEUTRAL, CONTRADICTION, ENTAILMENT = 0, 1, 2
ID2LABEL = {"0": "NEUTRAL", "1": "Contradiction", "2": "entailment"}

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
WORDS = ["answer", "in", "english", "not", "do", "use", "a", "title", "."]


def vote(token):
    v = [0.0, 0.0, 0.0]
    if token in ("[PAD]", "[CLS]", "[SEP]", "."):
        return v
    if token in ("answer", "in", "english"):
        v[ENTAILMENT] = 1.0
    elif token == "not":
        v[CONTRADICTION] = 20.0
    else:  # every other word, and [UNK]
        v[NEUTRAL] = 3.0
    return v


def main():
    out = sys.argv[1]
    typed = "--token-type-ids" in sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    vocab = {t: i for i, t in enumerate(SPECIAL + WORDS)}

    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tok.save(os.path.join(out, "tokenizer.json"))

    weights = [x for t in SPECIAL + WORDS for x in vote(t)]
    embedding = helper.make_tensor("embedding", TensorProto.FLOAT, [len(vocab), 3], weights)
    axis_seq = helper.make_tensor("axis_seq", TensorProto.INT64, [1], [1])
    axis_last = helper.make_tensor("axis_last", TensorProto.INT64, [1], [2])
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"])]
    nodes = [helper.make_node("Gather", ["embedding", "input_ids"], ["votes"], axis=0)]
    mask = "attention_mask"
    if typed:
        inputs.append(helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch_size", "sequence_length"]))
        nodes.append(helper.make_node("Mul", ["attention_mask", "token_type_ids"], ["hypothesis_mask"]))
        mask = "hypothesis_mask"
    nodes += [
        helper.make_node("Cast", [mask], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axis_last"], ["mask_3d"]),
        helper.make_node("Mul", ["votes", "mask_3d"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis_seq"], ["logits"], keepdims=0),
    ]
    graph = helper.make_graph(nodes, "tiny_nli", inputs,
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", 3])],
                              initializer=[embedding, axis_seq, axis_last])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="autoif-tiny-nli")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "model.onnx"))

    config = {"architectures": ["TinyBagOfWordsForSequenceClassification"], "model_type": "tiny-nli",
              "id2label": ID2LABEL, "label2id": {v: int(k) for k, v in ID2LABEL.items()},
              "pad_token_id": vocab["[PAD]"], "max_position_embeddings": 64}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    print(out)


if __name__ == "__main__":
    main()
