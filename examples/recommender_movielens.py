"""The notes' recommendation application: neural collaborative filtering (user and item
embeddings, an MLP on top) against a popularity baseline and matrix factorization, on
MovieLens-100k's u.data when it is in the cache directory, else on synthetic ratings of the
same size and format with latent structure. Prints RMSE and hit rate@10 (leave the latest
rating out; rank a liked held-out item among 99 unrated ones) and writes a figure.

Run: ``python examples/recommender_movielens.py [--epochs 20] [--out runs/recommender]``.
"""

import argparse

from gradlab.lab.applications.recommendation import load_ratings, run_recommendation

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="runs/recommender")
    parser.add_argument("--synthetic", action="store_true", help="ignore a cached u.data")
    args = parser.parse_args()
    data, source = load_ratings(False if args.synthetic else None)
    result = run_recommendation(data, epochs=args.epochs, lr=5e-3, out_dir=args.out)
    print(
        f"data: {source}, {result['n_users']} users, {result['n_items']} items, "
        f"{result['n_ratings']} ratings"
    )
    print(f"{'model':22s} {'RMSE':>7s} {'HR@10':>7s}")
    for name, values in result["results"].items():
        print(f"{name:22s} {values['rmse']:7.4f} {values['hit_rate@10']:7.4f}")
    print(f"wrote {result['figure']}")
