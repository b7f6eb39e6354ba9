/// A list that always holds at least one element: `first` is never `nil`.
///
/// Built only through `init(_:_:)` or the failable `init(_:)`, so a value that exists has an
/// element; decoders turn an empty list from outside into an error naming the field instead.
public struct NonEmptyArray<Element>: RandomAccessCollection {
    /// The elements, never empty.
    public private(set) var elements: [Element]

    /// A list of `first` followed by `rest`.
    public init(_ first: Element, _ rest: [Element] = []) {
        elements = [first] + rest
    }

    /// `elements` as a non-empty list; `nil` when it is empty.
    public init?(_ elements: [Element]) {
        guard !elements.isEmpty else { return nil }
        self.elements = elements
    }

    /// The first element, which always exists.
    public var first: Element { elements[elements.startIndex] }

    public var startIndex: Int { elements.startIndex }
    public var endIndex: Int { elements.endIndex }
    public subscript(position: Int) -> Element { elements[position] }

    /// Appends `element`.
    public mutating func append(_ element: Element) { elements.append(element) }
}

extension NonEmptyArray: Equatable where Element: Equatable {}
extension NonEmptyArray: Hashable where Element: Hashable {}
extension NonEmptyArray: Sendable where Element: Sendable {}
