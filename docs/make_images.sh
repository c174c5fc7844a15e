#!/usr/bin/env bash
# Regenerate the README's pictures: every one is produced by a gradlab command or example.
# Run from the repository root: bash docs/make_images.sh   (a few minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=runs/tour
images=docs/images
mkdir -p "$runs" "$images"

gradlab explain graph "x*y + z" --x 7 --y 13 --z 19 --out "$images/graph_xyz.png" > /dev/null
gradlab explain schedules --out "$images/schedules.png" > /dev/null
gradlab train examples/configs/train_mlp.toml --out "$runs/train" --quiet
cp "$runs/train/history.png" "$images/train_history.png"
gradlab explain lr-find examples/configs/train_mlp.toml --out "$images/lr_find.png" > /dev/null
gradlab explain gradflow examples/configs/train_mlp.toml --out "$images/gradflow.png" > /dev/null

for experiment in activations initializers losses schedules regularization batching fitting; do
    gradlab compare "$experiment" --out "$runs/compare-$experiment" --no-progress > /dev/null
done
gradlab compare optimizers --epochs 6 --out "$runs/compare-optimizers" --no-progress > /dev/null
cp "$runs/compare-activations/val_accuracy.png" "$images/compare_activations.png"
cp "$runs/compare-optimizers/val_accuracy.png" "$images/compare_optimizers.png"
cp "$runs/compare-initializers/signal_at_init.png" "$images/compare_initializers.png"
cp "$runs/compare-losses/regression_fitted_lines.png" "$images/compare_losses.png"
cp "$runs/compare-schedules/lr_cyclical.png" "$images/compare_schedules_lr.png"
cp "$runs/compare-regularization/train_vs_val.png" "$images/compare_regularization.png"
cp "$runs/compare-batching/momentum_paths.png" "$images/compare_momentum.png"
cp "$runs/compare-batching/loss_vs_examples.png" "$images/compare_batching.png"
cp "$runs/compare-fitting/decision_boundaries.png" "$images/compare_fitting.png"

gradlab tune examples/configs/tune_digits.toml --trials 20 --storage memory --out "$runs/tune" -q
cp "$runs/tune/optimization_history.png" "$images/tune_history.png"
gradlab compare search examples/configs/tune_digits.toml --trials 12 --out "$runs/search" > /dev/null
cp "$runs/search/best_so_far.png" "$images/compare_search.png"

python examples/autoencoder_digits.py --out "$runs/autoencoder" > /dev/null
cp "$runs/autoencoder/latent_scatter.png" "$images/autoencoder_latent.png"
python examples/gan_mixture.py --out "$runs/gan" > /dev/null
cp "$runs/gan/gan_mixture_coverage.png" "$images/gan_mixture.png"
python examples/resnet_vs_plain.py "$runs/resnet" > /dev/null
cp "$runs/resnet/gradient_norms.png" "$images/resnet_gradient_norms.png"
python examples/medical_diagnosis.py "$runs/medical" > /dev/null
cp "$runs/medical/roc_curve.png" "$images/medical_roc.png"
echo "wrote $(ls "$images" | wc -l) images to $images"
