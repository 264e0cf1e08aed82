INSERT INTO gen SELECT id, score, tag, at FROM gen
