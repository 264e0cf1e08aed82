EXPLAIN SELECT id, name FROM people WHERE city IN ('Paris', 'Rome') AND name IS NOT NULL
