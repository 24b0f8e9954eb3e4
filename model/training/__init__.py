"""Training of the small default checkpoint: corpus, tokenizer, examples, the loop, export."""
