SELECT * FROM bids WHERE bidder NOT IN (SELECT id FROM people)
