# The notes (002, Q4 on loss functions): the binary classifier of worked example 12.
# Only the imports changed (tensorflow -> gradlab); the notes' pasted output and the Keras
# warning text are left out, nothing else.
import gradlab as tf
from gradlab.keras.models import Sequential
from gradlab.keras.layers import Dense
from gradlab.keras.optimizers import Adam
from sklearn.model_selection import train_test_split
from sklearn.metrics import accuracy_score, classification_report
import numpy as np

# Create a synthetic dataset for binary classification
from sklearn.datasets import make_classification

X, y = make_classification(n_samples=1000, n_features=20, n_classes=2, random_state=42)

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)

model = Sequential([
    Dense(64, activation='relu', input_shape=(X_train.shape[1],)),
    Dense(32, activation='relu'),
    Dense(1, activation='sigmoid') # Sigmoid activation for binary classification
])

model.compile(optimizer=Adam(learning_rate=0.001), loss='binary_crossentropy', metrics=['accuracy'])

history = model.fit(X_train, y_train, epochs=20, batch_size=32, validation_data=(X_test, y_test))

test_loss, test_accuracy = model.evaluate(X_test, y_test)
print(f"Test Loss: {test_loss:.4f}, Test Accuracy: {test_accuracy:.4f}")

y_pred_probs = model.predict(X_test).flatten() # Flatten to get predictions in 1D
y_pred = (y_pred_probs > 0.5).astype(int) # Convert probabilities to binary predictions

print(classification_report(y_test, y_pred))
