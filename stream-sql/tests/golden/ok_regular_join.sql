EXPLAIN SELECT people.name, bids.price FROM bids JOIN people ON bids.bidder = people.id WHERE bids.price > 10
