"""The Mellum 2 runtime in PyTorch: config, weights, tokenizer, engine, speculative decoding, training."""
