extension PackageURL {
    /// Whether this purl (an advisory's, usually without version) names the package `asset` is an instance of:
    /// same type, namespace and name after normalisation, every qualifier of this purl present with the same value
    /// in `asset`, and, when this purl has a subpath, `asset`'s subpath equal to it or inside it.
    ///
    /// Versions are not compared: which versions are affected is a `vers:` range's question.
    public func matches(_ asset: PackageURL) -> Bool {
        guard type == asset.type, namespace == asset.namespace, name == asset.name else { return false }
        for (key, value) in qualifiers where asset.qualifiers[key] != value {
            return false
        }
        guard let subpath else { return true }
        guard let assetSubpath = asset.subpath else { return false }
        return assetSubpath == subpath || assetSubpath.hasPrefix(subpath + "/")
    }

    /// This purl without its version: the package rather than one release of it.
    public var versionless: PackageURL {
        var copy = self
        copy.version = nil
        return copy
    }
}
