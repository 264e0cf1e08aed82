INSERT INTO nothing VALUES (1, 'a')
