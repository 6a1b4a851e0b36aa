"""A scikit-learn model-selection script that leaks the test set in three ways."""
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

df = pd.read_csv("credit.csv")
df["income"] = df["income"].fillna(df["income"].mean())
X = df.drop(columns=["default"])
y = df["default"]

X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y)

search = GridSearchCV(GradientBoostingClassifier(random_state=0),
                      {"n_estimators": [100, 300], "max_depth": [2, 3]}, cv=5)
search.fit(X_test, y_test)
model = search.best_estimator_
model.fit(X_train, y_train)
print("test accuracy", model.score(X_test, y_test))
