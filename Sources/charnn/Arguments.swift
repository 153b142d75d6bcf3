import ArgumentParser
import Models

extension CellKind: ExpressibleByArgument {}
