def tally_votes(ballots, candidates):
    """Count first preferences, dropping ballots that name nobody we know."""
    counts = {name: 0 for name in candidates}
    spoiled = 0
    for ballot in ballots:
        choice = next((c for c in ballot if c in counts), None)
        if choice is None:
            spoiled += 1
            continue
        counts[choice] += 1
    leader = max(counts, key=lambda name: (counts[name], name))
    return leader, counts, spoiled
