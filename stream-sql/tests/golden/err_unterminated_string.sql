SELECT 'abc FROM bids
