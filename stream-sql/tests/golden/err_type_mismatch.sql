SELECT price + channel FROM bids
