def notes():
    return ["C4", "E4", "G4"]
