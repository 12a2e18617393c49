import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.*;

public class DLCheck {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager m = OWLManager.createOWLOntologyManager();
        OWLOntology o = m.loadOntologyFromOntologyDocument(new File(args[0]));
        System.out.println("loaded: " + o.getAxiomCount() + " axioms, " + o.getClassesInSignature().size() + " classes, "
            + o.getObjectPropertiesInSignature().size() + " object properties, " + o.getDataPropertiesInSignature().size()
            + " data properties, " + o.getAnnotationPropertiesInSignature().size() + " annotation properties, "
            + o.getIndividualsInSignature().size() + " individuals");
        OWLProfileReport r = new OWL2DLProfile().checkOntology(o);
        System.out.println("OWL 2 DL profile: " + (r.isInProfile() ? "in profile" : "NOT in profile"));
        for (OWLProfileViolation v : r.getViolations()) System.out.println("  violation: " + v);
    }
}
