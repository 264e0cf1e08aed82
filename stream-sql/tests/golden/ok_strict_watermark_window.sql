EXPLAIN SELECT window_end, COUNT(*), MIN(score) FROM TABLE(TUMBLE(TABLE gen, DESCRIPTOR(at), INTERVAL '1' SECOND)) GROUP BY window_start, window_end
