SELECT * FROM bids JOIN people ON bids.bidder = people.id
