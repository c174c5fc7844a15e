# The notes (002, Q7): the Optuna search of worked example 13. Only the imports changed;
# the lost indentation of the converted document is restored.
import gradlab as tf

from gradlab.keras.models import Sequential

from gradlab.keras.layers import Dense

import optuna

from sklearn.datasets import make_classification

from sklearn.model_selection import train_test_split

from sklearn.preprocessing import StandardScaler

# Create a sample dataset

X, y = make_classification(n_samples=1000, n_features=20, random_state=42)

X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=42)

# Scale data

scaler = StandardScaler()

X_train = scaler.fit_transform(X_train)

X_val = scaler.transform(X_val)

# Define objective function for Optuna

def objective(trial):

    # Suggest values for hyperparameters

    learning_rate = trial.suggest_loguniform('learning_rate', 1e-5, 1e-2)

    batch_size = trial.suggest_categorical('batch_size', [32, 64, 128])

    optimizer_choice = trial.suggest_categorical('optimizer', ['adam', 'sgd'])

    # Build model

    model = Sequential([
        Dense(64, activation='relu', input_shape=(X_train.shape[1],)),
        Dense(32, activation='relu'),
        Dense(1, activation='sigmoid')
    ])

    if optimizer_choice == 'adam':
        optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    else:
        optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)

    model.compile(optimizer=optimizer, loss='binary_crossentropy', metrics=['accuracy'])

    # Train model

    history = model.fit(X_train, y_train, epochs=20, batch_size=batch_size,
                        validation_data=(X_val, y_val), verbose=0)

    # Evaluate on validation set

    val_accuracy = history.history['val_accuracy'][-1]

    return val_accuracy

# Run Optuna optimization

study = optuna.create_study(direction='maximize')

study.optimize(objective, n_trials=20)

# Display best parameters

print("Best hyperparameters: ", study.best_params)
