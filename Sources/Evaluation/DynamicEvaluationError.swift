/// A dynamic-evaluation setting out of its range: which setting, the value given, and the range.
/// The description names the setting as the summary JSON does (`dynamic_window`); the
/// executable's `describe()` names its flag instead.
public struct DynamicEvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The settings of `DynamicEvaluationSettings`, named as its JSON keys.
    public enum Setting: String, Sendable, CaseIterable {
        case segment = "dynamic_window", learningRate = "dynamic_lr", decay = "dynamic_decay"
    }

    public var setting: Setting
    /// The value as given ("0", "-1.0", "nan").
    public var value: String
    /// What the value must be: "≥ 1", "a finite number ≥ 0", "in [0, 1]".
    public var requirement: String

    public init(setting: Setting, value: String, requirement: String) {
        self.setting = setting
        self.value = value
        self.requirement = requirement
    }

    public var description: String { "\(setting.rawValue) must be \(requirement), got \(value)" }
}
