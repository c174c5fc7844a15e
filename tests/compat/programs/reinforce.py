# source: https://github.com/pytorch/examples/blob/main/reinforcement_learning/reinforce.py
# adapted: gymnasium's CartPole replaced by a small deterministic stand-in with the same
#   interface (4-d state, 2 actions, reset/step, spec.reward_threshold); 20 episodes at most.
# args: --log-interval 5
# compare: none (actions are sampled, differently in the two frameworks)
import argparse
from collections import deque
from itertools import count

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical


class StandInCartPole:
    """A pole that falls unless pushed the right way (CartPole-v1's interface)."""

    class spec:
        reward_threshold = 475.0

    def reset(self, seed=None):
        self.state = np.array([0.0, 0.0, 0.05, 0.0])
        self.t = 0
        return self.state.copy(), {}

    def step(self, action):
        x, v, theta, omega = self.state
        omega += 0.1 * theta + (0.05 if action == 1 else -0.05)
        theta += 0.1 * omega
        v += 0.01 * (1 if action == 1 else -1)
        x += 0.1 * v
        self.state = np.array([x, v, theta, omega])
        self.t += 1
        terminated = abs(theta) > 0.2 or abs(x) > 2.4
        return self.state.copy(), 1.0, terminated, self.t >= 500, {}


parser = argparse.ArgumentParser(description="PyTorch REINFORCE example")
parser.add_argument("--gamma", type=float, default=0.99, metavar="G")
parser.add_argument("--seed", type=int, default=543, metavar="N")
parser.add_argument("--log-interval", type=int, default=10, metavar="N")
args = parser.parse_args()

env = StandInCartPole()
env.reset(seed=args.seed)
torch.manual_seed(args.seed)


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 128)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(128, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
eps = np.finfo(np.float32).eps.item()


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    returns = deque()
    for r in policy.rewards[::-1]:
        R = r + args.gamma * R
        returns.appendleft(R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]


def main():
    running_reward = 10
    for i_episode in count(1):
        state, _ = env.reset()
        ep_reward = 0
        for t in range(1, 10000):
            action = select_action(state)
            state, reward, terminated, truncated, _ = env.step(action)
            policy.rewards.append(reward)
            ep_reward += reward
            if terminated or truncated:
                break
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        finish_episode()
        if i_episode % args.log_interval == 0:
            print(f"Episode {i_episode}\tAverage reward: {running_reward:.2f}")
        if running_reward > env.spec.reward_threshold or i_episode == 20:
            print(f"Stopped after episode {i_episode}")
            break


if __name__ == "__main__":
    main()
